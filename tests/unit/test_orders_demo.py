import pytest

from orders.models import Order
from tests.factories.catalog import ProductFactory
from tests.factories.market import UserFactory


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

    assert first == "12 demo orders (12 new)" and second == "12 demo orders (0 new)"
    states = set(Order.objects.values_list("status", flat=True))
    assert states == set(Order.Status.values)  # some order in every state
    waiting = Order.objects.filter(
        payment_method="bank_transfer", payment_status="UNPAID", status="PLACED"
    )
    assert waiting.count() == 2
