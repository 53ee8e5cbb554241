"""Two submits of one web checkout form: both get the order that was placed, not 'cart empty'."""

from decimal import Decimal

import pytest

from orders.models import Checkout, Order
from tests.factories.catalog import ProductFactory
from tests.factories.market import UserFactory
from tests.factories.orders import fill_cart

pytestmark = pytest.mark.django_db


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_double_submit_of_one_web_form_token_returns_the_placed_checkout_to_both(admin_units):
    # The second submit waits on the cart lines' row lock; when the first commits they are gone,
    # so it used to fail with CartEmpty ("your cart is empty") instead of showing the order.
    from orders.services.checkout import checkout_place
    from tests.concurrency import race
    from tests.factories.orders import vn_address

    product = ProductFactory(stock_qty=Decimal("10"))
    buyer = UserFactory()
    cart = fill_cart(buyer, (product, 1))
    address = vn_address()

    def submit():
        return checkout_place(
            buyer=buyer,
            cart=cart,
            payment_method="cod",
            address=address,
            idempotency_key="web:token-1",
        ).pk

    outcomes = race([submit, submit, submit])

    checkout = Checkout.objects.get()
    assert outcomes == [("ok", checkout.pk)] * 3
    product.refresh_from_db()
    assert product.stock_qty == Decimal("9") and Order.objects.count() == 1
