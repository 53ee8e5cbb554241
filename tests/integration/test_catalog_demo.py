"""The demo seeder: 2,000+ products that obey every catalog rule, idempotent, images local."""

import pytest
from django.core.files.storage import default_storage

from catalog import demo, rules
from catalog.models import Certification, Product, ProductFamily, ProductImage
from catalog.selectors import product_list_purchasable
from market.cooperatives import demo as market_demo
from market.models import Cooperative

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_seed_makes_2000_valid_products_once():
    market_demo.seed(lambda msg: None)

    summary = demo.seed(lambda msg: None)
    again = demo.seed(lambda msg: None)

    total = Product.objects.count()
    families = ProductFamily.objects.count()
    assert total >= 2000
    assert summary.startswith(f"{total} products in {families} families ({total} new)")
    assert again == f"{total} products (0 new)"
    assert total / 20 <= families <= total / 8  # packs and crop years grouped: ~13 per family
    shared = ProductFamily.SHARED_FIELDS
    for family in ProductFamily.objects.prefetch_related("variants", "images"):
        variants = list(family.variants.all())
        assert variants and family.images.all(), family.family_key
        assert len({v.options_key for v in variants}) == len(variants)  # no two alike
        assert all(getattr(v, f) == getattr(family, f) for v in variants for f in shared)
    for product in Product.objects.prefetch_related("price_tiers", "family__images"):
        state = {
            f: getattr(product, f)
            for f in (
                "sku",
                "name_vi",
                "unit",
                "price_vnd",
                "min_order_qty",
                "order_step",
                "stock_qty",
                "hs_code",
                "incoterms",
                "season_months",
                "unit_weight_kg",
            )
        }
        assert rules.product_errors(state) == {}, (product.sku, rules.product_errors(state))
        tiers = [
            {"min_qty": t.min_qty, "price_vnd": t.price_vnd} for t in product.price_tiers.all()
        ]
        assert (
            rules.tier_errors(
                tiers=tiers,
                price_vnd=product.price_vnd,
                unit=product.unit,
                min_order_qty=product.min_order_qty,
            )
            == []
        )
        assert product.status == "DRAFT" or rules.publish_errors(product) == {}
    unverified = Product.objects.exclude(cooperative__status=Cooperative.Status.VERIFIED)
    assert unverified.exists()
    assert not product_list_purchasable().filter(pk__in=unverified.values("pk")).exists()
    assert product_list_purchasable().count() >= 2000
    # stock agrees with availability: a purchasable product either has stock for its minimum
    # order or is sold out (0, shown "Hết hàng"); sold-out ones are a small share
    purchasable = list(product_list_purchasable())
    sold_out = [p for p in purchasable if p.stock_qty == 0]
    assert all(p.stock_qty == 0 or p.stock_qty >= p.min_order_qty for p in purchasable)
    assert 0 < len(sold_out) < len(purchasable) * 0.06
    image = ProductImage.objects.first()
    assert default_storage.exists(image.original.name)
    assert all(
        default_storage.exists(v["webp"]) and default_storage.exists(v["jpeg"])
        for v in image.variants.values()
    )
    assert Certification.objects.filter(status="VERIFIED", kind="OCOP", ocop_stars__gte=3).exists()
