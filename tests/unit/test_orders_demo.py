import pytest

from orders.models import Order
from tests.factories.catalog import ProductFactory
from tests.factories.market import UserFactory
from tests.factories.orders import fast_passwords  # noqa


@pytest.mark.django_db
def test_demo_seed_is_idempotent():
    from orders import demo

    assert "no demo buyer" in demo.seed(print)
    UserFactory(email="buyer@htx.market")
    UserFactory(platform_admin=True)
    ProductFactory()
    ProductFactory()

    first = demo.seed(lambda m: None)
    second = demo.seed(lambda m: None)

    assert first == "5 demo orders (5 new)" and second == "5 demo orders (0 new)"
    assert sorted(Order.objects.values_list("status", flat=True)) == [
        "CANCELLED",
        "COMPLETED",
        "PACKED",
        "PLACED",
        "SHIPPED",
    ]
