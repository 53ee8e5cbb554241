"""quotes 0002-0004: every RFQ that named a variant gets its family; backwards, an RFQ that named
only a family gets the family's first variant (the old schema wants a variant or a category).
Run on a database holding RFQs of all three kinds, migrated back and forward again."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from catalog.options import options_key
from quotes.models import Rfq
from tests.factories.catalog import ProductFactory
from tests.factories.quotes import post_rfq, trade  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def _second_variant(product, sku="ST25-A-50"):
    return ProductFactory(
        cooperative=product.cooperative,
        family=product.family,
        category=product.category,
        sku=sku,
        options={"pack": "bao 50 kg"},
        options_key=options_key({"pack": "bao 50 kg"}),
    )


def test_the_migration_back_fills_the_family_of_every_rfq_that_named_a_variant(
    trade,  # noqa: F811
):
    fifty = _second_variant(trade["product"])
    by_variant = post_rfq(trade, variant_id=fifty.pk)
    by_family = post_rfq(trade, family_id=trade["other_product"].family_id)
    by_category = post_rfq(trade)
    executor = MigrationExecutor(connection)

    executor.migrate([("quotes", "0001_initial")])
    old = executor.loader.project_state([("quotes", "0001_initial")]).apps.get_model(
        "quotes", "Rfq"
    )
    before = dict(old.objects.values_list("pk", "product_id"))
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("quotes"))

    after = {r.pk: (r.family_id, r.product_id) for r in Rfq.objects.all()}
    assert before == {
        by_variant.pk: fifty.pk,
        by_family.pk: trade["other_product"].pk,  # backwards: the family's first variant
        by_category.pk: None,
    }
    assert after == {
        by_variant.pk: (fifty.family_id, fifty.pk),
        by_family.pk: (trade["other_product"].family_id, trade["other_product"].pk),
        by_category.pk: (None, None),
    }
