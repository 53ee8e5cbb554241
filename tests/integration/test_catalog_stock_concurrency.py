"""Stock under real concurrency (PostgreSQL, real threads): never oversold, never negative."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from catalog.errors import InsufficientStock
from catalog.models import Product, ProductEvent
from catalog.services import product_stock_adjust
from tests.factories.catalog import ProductFactory
from tests.factories.market import MembershipFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_decreases_never_oversell(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    product = ProductFactory(stock_qty=Decimal("5"))
    staff = MembershipFactory(cooperative=product.cooperative).user
    results, barrier = [], threading.Barrier(10)

    def take_one():
        try:
            barrier.wait()
            product_stock_adjust(
                actor=staff,
                cooperative_id=product.cooperative_id,
                product_id=product.pk,
                mode="decrease",
                quantity=Decimal("1"),
            )
            results.append("ok")
        except InsufficientStock:
            results.append("short")
        finally:
            connection.close()

    threads = [threading.Thread(target=take_one) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(results) == ["ok"] * 5 + ["short"] * 5
    assert Product.objects.get(pk=product.pk).stock_qty == Decimal("0")
    assert ProductEvent.objects.filter(product=product, action="stock").count() == 5
