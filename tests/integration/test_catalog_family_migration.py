"""Migrations 0008-0010 (every product becomes a family with one variant) on a database holding
the demo market and its orders, then the demo regroup: counts and totals match before and after.

The demo is seeded with today's code (families), the catalog is migrated back to 0006 (the
reverse steps put photos and certifications back on the products), and the counts of that old
database are taken; then it is migrated forward again and regrouped, as a deployed market would
be. Slow (a full demo seed): marked `slow`."""

import importlib

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, Sum

from catalog import demo as catalog_demo
from catalog.models import Product, ProductFamily, ProductImage
from market import demo as market_demo
from orders import demo as orders_demo
from orders.models import CartLine, Order, OrderLine

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

BEFORE_FAMILIES = [("catalog", "0007_product_event_action_choices")]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    executor = MigrationExecutor(connection)
    # every app's leaves: going back before families also unapplied the migrations that depend on
    # them in other apps (quotes' RFQ family), and those must come back too
    return executor.loader.graph.leaf_nodes()


def _old_counts(apps) -> dict:
    """Counts and totals read through the 0006 models (no families yet)."""
    product = apps.get_model("catalog", "Product")
    image = apps.get_model("catalog", "ProductImage")
    cert = apps.get_model("catalog", "Certification")
    return {
        "products": product.objects.count(),
        "stock": product.objects.aggregate(s=Sum("stock_qty"))["s"],
        "prices": product.objects.aggregate(s=Sum("price_vnd"))["s"],
        "tiers": apps.get_model("catalog", "PriceTier").objects.count(),
        "events": apps.get_model("catalog", "ProductEvent").objects.count(),
        "images": image.objects.count(),
        "images_by_name": dict(
            image.objects.values_list("product__name_vi").annotate(n=Count("pk")).order_by()
        ),
        "certified_products": cert.products.through.objects.count(),
        **_order_counts(),
    }


def _order_counts() -> dict:
    """The orders tables are not touched by these migrations: read them with today's models."""
    line, order = OrderLine, Order
    return {
        "orders": order.objects.count(),
        "order_total": order.objects.aggregate(s=Sum("total_vnd"))["s"],
        "order_lines": list(
            line.objects.order_by("pk").values_list(
                "pk", "product_id", "product_name", "unit_price_vnd", "quantity"
            )
        ),
        "cart_lines": list(
            CartLine.objects.order_by("pk").values_list("pk", "product_id", "quantity")
        ),
    }


def _new_counts() -> dict:
    return {
        "products": Product.objects.count(),
        "stock": Product.objects.aggregate(s=Sum("stock_qty"))["s"],
        "prices": Product.objects.aggregate(s=Sum("price_vnd"))["s"],
        "families": ProductFamily.objects.count(),
        "images": ProductImage.objects.count(),
        "orders": Order.objects.count(),
        "order_total": Order.objects.aggregate(s=Sum("total_vnd"))["s"],
        "order_lines": list(
            OrderLine.objects.order_by("pk").values_list(
                "pk", "product_id", "product_name", "unit_price_vnd", "quantity"
            )
        ),
        "cart_lines": list(
            CartLine.objects.order_by("pk").values_list("pk", "product_id", "quantity")
        ),
    }


def _categories():
    """The category tree of migration 0004 (a transactional test before this one flushed it)."""
    from django.apps import apps

    seed = importlib.import_module("catalog.migrations.0004_seed_categories").seed
    seed(apps, None)


def test_every_product_becomes_a_one_variant_family_and_the_demo_regroups(capsys, admin_units):
    _categories()
    market_demo.seed(lambda msg: None)
    catalog_demo.seed(lambda msg: None)
    orders_demo.seed(lambda msg: None)
    assert OrderLine.objects.exists()
    old = _old_counts(_migrate(BEFORE_FAMILIES))
    latest = _latest()

    _migrate(latest)
    migrated = _new_counts()
    # Each old product is now a family of one variant with the same id, content and photos.
    assert migrated["families"] == migrated["products"] == old["products"]
    assert migrated["images"] == old["images"]
    for key in ("stock", "prices", "orders", "order_total", "order_lines", "cart_lines"):
        assert migrated[key] == old[key], key
    assert not Product.objects.exclude(name_vi=models_f("family__name_vi")).exists()
    assert not Product.objects.exclude(category_id=models_f("family__category_id")).exists()
    photos = dict(
        ProductImage.objects.values_list("family__variants__name_vi")
        .annotate(n=Count("pk"))
        .order_by()
    )
    assert photos == old["images_by_name"]
    certified = ProductFamily.certifications.through.objects.count()
    assert certified == old["certified_products"]

    moved = catalog_demo.regroup(lambda msg: None)
    regrouped = _new_counts()
    assert moved > 0 and catalog_demo.regroup(lambda msg: None) == 0  # idempotent
    assert regrouped["products"] == old["products"]
    assert old["products"] / 20 <= regrouped["families"] <= old["products"] / 8
    for key in ("stock", "prices", "orders", "order_total", "order_lines", "cart_lines"):
        assert regrouped[key] == old[key], key
    assert not Product.objects.exclude(name_vi=models_f("family__name_vi")).exists()
    with capsys.disabled():
        print(
            f"\n  migration on the demo market: {old['products']} products, "
            f"{old['images']} photos, {old['orders']} orders ({old['order_total']} ₫), "
            f"{len(old['order_lines'])} order lines -> {migrated['families']} one-variant "
            f"families -> regrouped: {regrouped['families']} families, "
            f"{regrouped['products']} variants, stock {regrouped['stock']}, "
            f"{regrouped['orders']} orders ({regrouped['order_total']} ₫)"
        )
    call_command("check")  # the schema the models describe is the one migrated


def models_f(name):
    from django.db.models import F

    return F(name)
