"""Real threads, each with its own PostgreSQL connection, released together by a barrier:
no oversell, no deadlock, stock released once, webhook events applied once, one order per key."""

from decimal import Decimal

import pytest

from catalog.models import Product, ProductEvent
from orders.errors import OutOfStock, TransitionNotAllowed
from orders.models import Checkout, Order, OrderEvent, Payment, PaymentWebhookEvent
from orders.services.checkout import checkout_place
from orders.services.transitions import order_transition
from tests.concurrency import race
from tests.conftest import client_for
from tests.factories.catalog import ProductFactory
from tests.factories.market import UserFactory
from tests.factories.orders import fill_cart, place, place_order, vn_address

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("admin_units"),
]


def test_n_buyers_race_for_the_last_unit():
    product = ProductFactory(stock_qty=Decimal("1"))
    buyers = [UserFactory() for _ in range(8)]
    carts = [fill_cart(b, (product, 1)) for b in buyers]
    address = vn_address()

    outcomes = race(
        [
            lambda b=b, c=c: checkout_place(buyer=b, cart=c, payment_method="cod", address=address)
            for b, c in zip(buyers, carts, strict=True)
        ]
    )

    kinds = sorted(type(v).__name__ if k == "error" else "Checkout" for k, v in outcomes)
    assert kinds == ["Checkout"] + ["OutOfStock"] * 7
    product.refresh_from_db()
    assert product.stock_qty == Decimal("0")
    assert Order.objects.count() == 1 and Checkout.objects.count() == 1
    assert ProductEvent.objects.filter(product=product, action="stock").count() == 1


def test_crossing_carts_never_deadlock_or_oversell():
    a, b = ProductFactory(stock_qty=Decimal("3")), ProductFactory(stock_qty=Decimal("3"))
    buyers = [UserFactory() for _ in range(6)]
    carts = [
        fill_cart(u, *([(a, 1), (b, 1)] if i % 2 else [(b, 1), (a, 1)]))
        for i, u in enumerate(buyers)
    ]
    address = vn_address()

    outcomes = race(
        [
            lambda u=u, c=c: checkout_place(buyer=u, cart=c, payment_method="cod", address=address)
            for u, c in zip(buyers, carts, strict=True)
        ]
    )

    errors = [v for k, v in outcomes if k == "error"]
    assert all(isinstance(e, OutOfStock) for e in errors) and len(errors) == 3
    a.refresh_from_db(), b.refresh_from_db()
    assert (a.stock_qty, b.stock_qty) == (Decimal("0"), Decimal("0"))
    assert Checkout.objects.count() == 3 and Order.objects.count() == 6  # two cooperatives each
    assert Product.objects.filter(stock_qty__lt=0).count() == 0


def test_concurrent_cancellations_release_stock_once(actors):
    product = ProductFactory(cooperative=actors["coop"], stock_qty=Decimal("5"))
    order = place_order(actors["buyer"], product, 2)

    outcomes = race(
        [
            lambda: order_transition(actor=actors["buyer"], order_id=order.pk, to="CANCELLED"),
            lambda: order_transition(
                actor=actors["admin"], order_id=order.pk, to="CANCELLED", reason="trùng"
            ),
            lambda: order_transition(
                actor=actors["staff"], order_id=order.pk, to="CANCELLED", reason="hết"
            ),
        ]
    )

    assert sorted(k for k, _v in outcomes) == ["error", "error", "ok"]
    assert all(isinstance(v, TransitionNotAllowed) for k, v in outcomes if k == "error")
    product.refresh_from_db()
    assert product.stock_qty == Decimal("5")
    assert OrderEvent.objects.filter(order=order, to_status="CANCELLED").count() == 1


def test_concurrent_duplicate_webhook_is_applied_once(settings):
    from tests.factories.stripe import SECRET, event, sign, succeeded

    settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_SECRET_KEY = SECRET, ""
    settings.PAYMENT_METHODS = ["bank_transfer", "cod", "stripe"]
    checkout = place(
        UserFactory(), (ProductFactory(), 1), (ProductFactory(), 1), payment_method="stripe"
    )
    Payment.objects.update(provider_id="pi_123")
    body = event("payment_intent.succeeded", succeeded(checkout))
    header = sign(body)
    from orders.services.stripe_payments import stripe_webhook_handle

    outcomes = race(
        [lambda: stripe_webhook_handle(payload=body, sig_header=header) for _ in range(4)]
    )

    duplicates = sorted(v[1] for k, v in outcomes if k == "ok")
    assert duplicates == [False, True, True, True]
    assert PaymentWebhookEvent.objects.count() == 1
    assert OrderEvent.objects.filter(kind="PAYMENT").count() == 2


def test_double_click_with_one_key_makes_one_order():
    product = ProductFactory(stock_qty=Decimal("10"))
    user = UserFactory()
    fill_cart(user, (product, 1))
    ward = vn_address().ward_code
    body = {
        "payment_method": "cod",
        "address": {
            "recipient_name": "Lan",
            "recipient_phone": "0900000000",
            "address_line": "1 Lê Lợi",
            "province_code": 20,
            "ward_code": ward,
        },
    }

    def click():
        return (
            client_for(user)
            .post("/api/v1/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY="dbl")
            .status_code
        )

    outcomes = race([click, click, click])

    codes = sorted(v for _k, v in outcomes)
    assert codes[0] == 201 and set(codes[1:]) <= {201, 409}
    assert Checkout.objects.count() == 1 and Order.objects.count() == 1
    product.refresh_from_db()
    assert product.stock_qty == Decimal("9")


def test_two_simultaneous_first_adds_of_a_product_make_one_line_with_both_quantities():
    from orders.models import CartLine
    from orders.services.cart import cart_get_or_create, cart_line_set

    product = ProductFactory(stock_qty=Decimal("10"))
    cart = cart_get_or_create(user=UserFactory())

    outcomes = race(
        [lambda: cart_line_set(cart=cart, product_id=product.pk, quantity="1", add=True)] * 4
    )

    assert [kind for kind, _value in outcomes] == ["ok"] * 4  # no IntegrityError, no 500
    assert list(CartLine.objects.filter(cart=cart).values_list("product_id", "quantity")) == [
        (product.pk, Decimal("4.000"))
    ]


def test_simultaneous_cart_changes_through_the_api_service_make_one_line_of_the_sum():
    # cart_change is what the cart API calls: cart row, then its lines, one transaction
    from orders.models import CartLine
    from orders.services.cart import cart_change, cart_get_or_create

    product, other = ProductFactory(stock_qty=Decimal("10")), ProductFactory()
    cart = cart_get_or_create(user=UserFactory())
    cart_change(cart=cart, product_id=other.pk, quantity="1", add=True)

    outcomes = race(
        [lambda: cart_change(cart=cart, product_id=product.pk, quantity="1", add=True)] * 4
        + [lambda: cart_change(cart=cart, product_id=other.pk, quantity=None)]
    )

    assert [kind for kind, _value in outcomes] == ["ok"] * 5  # no IntegrityError, no deadlock
    assert list(CartLine.objects.filter(cart=cart).values_list("product_id", "quantity")) == [
        (product.pk, Decimal("4.000"))
    ]
    # each answer is the cart as that change left it (one line of 1..4, with or without other)
    adds = sorted(
        next(pl.quantity for pl in view.lines if pl.product.pk == product.pk)
        for _kind, view in outcomes[:4]
    )
    assert adds == [Decimal(n) for n in (1, 2, 3, 4)]


def test_a_cart_change_racing_its_checkout_neither_deadlocks_nor_oversells():
    from orders.models import CartLine
    from orders.services.cart import cart_change

    product = ProductFactory(stock_qty=Decimal("3"))
    buyer = UserFactory()
    cart = fill_cart(buyer, (product, 2))
    address = vn_address()

    outcomes = race(
        [
            lambda: checkout_place(buyer=buyer, cart=cart, payment_method="cod", address=address),
            lambda: cart_change(cart=cart, product_id=product.pk, quantity="1", add=True),
        ]
    )

    # whichever went first, both went through: the checkout ordered what the cart held when it
    # locked the lines, and the change added to the line, or made a new one after the checkout
    assert [kind for kind, _value in outcomes] == ["ok", "ok"]
    product.refresh_from_db()
    ordered = Order.objects.get().lines.get().quantity
    left = list(CartLine.objects.filter(cart=cart).values_list("quantity", flat=True))
    assert (ordered, left) in [(Decimal("2"), [Decimal("1")]), (Decimal("3"), [])]
    assert product.stock_qty == Decimal("3") - ordered >= 0
