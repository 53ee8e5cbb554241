"""An RFQ asks for a product family (what the product page shows), with the buyer's chosen
variant kept when there was one (issue 17 built RFQs on the variant before families existed,
issue 13). The older `product_id` (a variant id) keeps working and names the family too."""

from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client

from catalog.options import options_key
from quotes.models import Rfq
from quotes.selectors import demand_summary_for_cooperative
from tests.conftest import client_for
from tests.factories.catalog import DraftProductFactory, ProductFactory
from tests.factories.quotes import post_rfq, rfq_data, trade  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def _json(data: dict) -> dict:
    return {
        k: v.isoformat() if hasattr(v, "isoformat") else str(v) if isinstance(v, Decimal) else v
        for k, v in data.items()
    }


def _second_variant(product, sku="ST25-A-50"):
    return ProductFactory(
        cooperative=product.cooperative,
        family=product.family,
        category=product.category,
        sku=sku,
        options={"pack": "bao 50 kg"},
        options_key=options_key({"pack": "bao 50 kg"}),
    )


def _post(trade, **target):  # noqa: F811
    data = _json(rfq_data(trade))
    data.pop("category_id")
    data.update(target)
    return client_for(trade["buyer"]).post("/api/v1/rfqs/", data, format="json")


@pytest.fixture(autouse=True)
def _no_mail_yet():
    mail.outbox.clear()


def test_an_rfq_for_a_family_names_the_family_and_goes_to_its_cooperative(trade):  # noqa: F811
    family = trade["product"].family

    r = _post(trade, family_id=family.pk, direct=True)

    rfq = Rfq.objects.get()
    assert r.status_code == 201, r.content
    assert (rfq.family_id, rfq.product_id) == (family.pk, None)
    assert rfq.category == family.category and rfq.cooperative == family.cooperative
    body = r.json()
    assert (body["family"], body["family_name"], body["product"]) == (
        family.pk,
        "ST25 fragrant rice",
        None,
    )


def test_an_rfq_keeps_the_chosen_variant_with_its_family(trade):  # noqa: F811
    fifty = _second_variant(trade["product"])

    r = _post(trade, family_id=fifty.family_id, variant_id=fifty.pk, direct=True)

    rfq = Rfq.objects.get()
    assert r.status_code == 201, r.content
    assert (rfq.family_id, rfq.product_id) == (fifty.family_id, fifty.pk)
    assert (r.json()["family"], r.json()["product"]) == (fifty.family_id, fifty.pk)


def test_the_deprecated_product_id_still_works_and_names_the_family(
    trade,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    fifty = _second_variant(trade["product"])

    with django_capture_on_commit_callbacks(execute=True):
        r = _post(trade, product_id=fifty.pk, direct=True)

    rfq = Rfq.objects.get()
    assert r.status_code == 201, r.content
    assert (rfq.family_id, rfq.product_id) == (fifty.family_id, fifty.pk)
    assert rfq.cooperative == trade["coop"]
    assert {m.to[0] for m in mail.outbox} == {trade["staff"].email}


def test_a_variant_of_another_family_is_refused_and_nothing_is_written(trade):  # noqa: F811
    r = _post(
        trade,
        family_id=trade["product"].family_id,
        variant_id=trade["other_product"].pk,
    )

    assert r.status_code == 400
    assert r.json()["code"] == "validation_failed"
    assert list(r.json()["fields"]) == ["variant_id"]
    assert Rfq.objects.count() == 0
    assert mail.outbox == []


def test_a_family_with_nothing_on_sale_is_refused_and_nothing_is_written(trade):  # noqa: F811
    draft = DraftProductFactory(cooperative=trade["coop"], category=trade["rice"])

    r = _post(trade, family_id=draft.family_id)
    unknown = _post(trade, family_id=9_999_999)

    assert (r.status_code, unknown.status_code) == (400, 400)
    assert "family_id" in r.json()["fields"] and "family_id" in unknown.json()["fields"]
    assert Rfq.objects.count() == 0


def test_the_demand_summary_names_the_family(trade):  # noqa: F811
    fifty = _second_variant(trade["product"])
    fifty.family.name_en = "ST25 rice, every pack"
    fifty.family.save(update_fields=["name_en"])
    post_rfq(trade, variant_id=fifty.pk)

    rows = demand_summary_for_cooperative(cooperative_id=trade["coop"].pk)

    assert [r["product"] for r in rows] == ["ST25 rice, every pack"]


def test_request_a_quote_from_the_product_page_carries_family_and_variant(trade):  # noqa: F811
    product = trade["product"]
    buyer = Client()
    buyer.force_login(trade["buyer"])

    page = buyer.get(f"/san-pham/{product.pk}/{product.slug}/").content.decode()
    form = buyer.get(f"/rfq/new/?family_id={product.family_id}&variant_id={product.pk}")
    old_link = buyer.get(f"/rfq/new/?product_id={product.pk}")

    assert f"/rfq/new/?family_id={product.family_id}&amp;variant_id={product.pk}" in page
    for response in (form, old_link):
        html = response.content.decode()
        assert f'name="family_id" value="{product.family_id}"' in html
        assert f'name="variant_id" value="{product.pk}"' in html


@pytest.mark.parametrize("field", ["family_id", "variant_id", "product_id"])
def test_an_id_beyond_the_column_is_a_400_not_a_500(trade, field):  # noqa: F811
    r = _post(trade, **{field: 10**20})

    assert r.status_code == 400
    assert field in r.json()["fields"]
    assert Rfq.objects.count() == 0
