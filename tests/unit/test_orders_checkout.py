"""checkout_place: split per cooperative, totals, stock, events, payments — and every bad input
changing nothing."""

from decimal import Decimal

import pytest
from django.core import mail

from catalog.models import Product, ProductEvent
from market.models import Cooperative
from orders.errors import (
    AddressInvalid,
    CartEmpty,
    NotPurchasable,
    OutOfStock,
    PaymentMethodNotAllowed,
    PriceChanged,
)
from orders.models import CartLine, Checkout, Order, OrderEvent, OrderLine, Payment, ShippingRule
from orders.services.cart import cart_get_or_create
from orders.services.checkout import checkout_place
from tests.factories.catalog import ProductFactory
from tests.factories.market import MembershipFactory, UserFactory
from tests.factories.orders import (
    ShippingRuleFactory,
    export_address,
    fill_cart,
    place,
    vn_address,
)

pytestmark = pytest.mark.django_db


def _counts():
    return (
        Checkout.objects.count(),
        Order.objects.count(),
        OrderLine.objects.count(),
        OrderEvent.objects.count(),
        Payment.objects.count(),
    )


def test_one_order_per_cooperative_with_totals_codes_events_and_payments(settings):
    settings.PLATFORM_COMMISSION_PERCENT = 5.0
    rice = ProductFactory(price_vnd=30_000)
    coffee = ProductFactory(
        price_vnd=200_000, order_step=Decimal("0.5"), min_order_qty=Decimal("0.5")
    )
    ShippingRuleFactory(
        cooperative=coffee.cooperative, kind="WEIGHT", base_fee_vnd=10_000, per_kg_vnd=5_000
    )
    buyer = UserFactory()

    checkout = place(buyer, (rice, 3), (coffee, Decimal("2.5")))

    orders = list(checkout.orders.order_by("cooperative_id"))
    assert [o.cooperative_id for o in orders] == sorted(
        [rice.cooperative_id, coffee.cooperative_id]
    )
    rice_order = next(o for o in orders if o.cooperative_id == rice.cooperative_id)
    coffee_order = next(o for o in orders if o.cooperative_id == coffee.cooperative_id)
    assert (rice_order.subtotal_vnd, rice_order.shipping_fee_vnd, rice_order.total_vnd) == (
        90_000,
        30_000,
        120_000,
    )
    assert (coffee_order.subtotal_vnd, coffee_order.shipping_fee_vnd) == (
        500_000,
        10_000 + 3 * 5_000,
    )
    assert (
        coffee_order.commission_percent == Decimal("5.00") and coffee_order.commission_vnd == 25_000
    )
    assert checkout.total_vnd == 120_000 + 525_000 and checkout.subtotal_vnd == 590_000
    assert rice_order.code == f"HTX-{rice_order.placed_at.year}-{rice_order.pk:06d}"
    assert all(
        o.status == "PLACED" and o.payment_status == "UNPAID" and o.reserved_until for o in orders
    )
    line = coffee_order.lines.get()
    assert (
        line.product_name,
        line.unit,
        line.unit_price_vnd,
        line.quantity,
        line.line_total_vnd,
    ) == (coffee.name_vi, "KG", 200_000, Decimal("2.5"), 500_000)
    assert list(OrderEvent.objects.values_list("to_status", flat=True)) == ["PLACED", "PLACED"]
    assert sorted(Payment.objects.values_list("order_id", "amount")) == sorted(
        [(rice_order.pk, Decimal(120_000)), (coffee_order.pk, Decimal(525_000))]
    )
    rice.refresh_from_db(), coffee.refresh_from_db()
    assert (rice.stock_qty, coffee.stock_qty) == (Decimal("97"), Decimal("97.5"))
    assert CartLine.objects.count() == 0


def test_free_shipping_over_threshold_and_default_rule():
    p = ProductFactory(price_vnd=100_000)
    ShippingRuleFactory(cooperative=p.cooperative, free_over_vnd=200_000)
    q = ProductFactory(price_vnd=100_000)

    checkout = place(UserFactory(), (p, 2), (q, 1))

    fees = dict(checkout.orders.values_list("cooperative_id", "shipping_fee_vnd"))
    assert fees == {p.cooperative_id: 0, q.cooperative_id: ShippingRule.DEFAULT["flat_fee_vnd"]}


def test_cod_orders_have_no_unpaid_expiry():
    order = place(UserFactory(), (ProductFactory(), 1), payment_method="cod").orders.get()

    assert order.reserved_until is None and order.payment_method == "cod"


def test_usd_card_checkout_keeps_the_rate_and_one_checkout_payment(settings):
    settings.PAYMENT_METHODS = ["bank_transfer", "cod", "stripe"]
    settings.USD_VND_RATE = 25_000
    settings.STRIPE_SECRET_KEY = ""  # no PaymentIntent call: tested against stripe-mock elsewhere

    checkout = place(
        UserFactory(),
        (ProductFactory(price_vnd=100_000), 1),
        payment_method="stripe",
        currency="USD",
        address=export_address(),
    )

    assert checkout.usd_vnd_rate == 25_000 and checkout.total_vnd == 130_000
    assert checkout.total_usd == Decimal("5.20")
    payment = Payment.objects.get()
    assert (payment.order_id, payment.currency, payment.amount, payment.stripe_amount) == (
        None,
        "USD",
        Decimal("5.20"),
        520,
    )
    assert checkout.incoterm == "FOB" and checkout.province_id is None


def test_same_idempotency_key_returns_the_same_checkout():
    buyer, product = UserFactory(), ProductFactory()
    first = place(buyer, (product, 1), idempotency_key="form-token-1")

    again = place(buyer, (product, 1), idempotency_key="form-token-1")

    assert again.pk == first.pk and Order.objects.count() == 1
    product.refresh_from_db()
    assert product.stock_qty == Decimal("99")
    assert CartLine.objects.count() == 1  # the second cart is left untouched


def test_emails_after_commit_in_each_recipients_language(django_capture_on_commit_callbacks):
    product = ProductFactory()
    MembershipFactory(cooperative=product.cooperative, user=UserFactory(language="vi"))
    buyer = UserFactory(language="en")

    with django_capture_on_commit_callbacks(execute=True):
        order = place(buyer, (product, 1)).orders.get()

    by_to = {m.to[0]: m for m in mail.outbox}
    assert by_to[buyer.email].subject == f"Your order {order.code} has been placed"
    staff_mail = next(m for to, m in by_to.items() if to != buyer.email)
    assert staff_mail.subject == f"Đơn hàng mới {order.code}"


def test_emails_link_to_the_pages_each_recipient_acts_on(
    django_capture_on_commit_callbacks, client, settings
):
    settings.SITE_URL = "https://htx.example"
    product = ProductFactory()
    staff = MembershipFactory(cooperative=product.cooperative).user
    buyer = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        order = place(buyer, (product, 1)).orders.get()

    by_to = {m.to[0]: m for m in mail.outbox}
    buyer_link = by_to[buyer.email].body.splitlines()[-1]
    staff_link = by_to[staff.email].body.splitlines()[-1]
    assert (
        buyer_link == f"https://htx.example/don-hang/{order.code}/"
    )  # was /orders/<code>/: no such page
    assert staff_link == f"https://htx.example/htx/{product.cooperative_id}/don-hang/"
    client.force_login(buyer)
    assert client.get(buyer_link.removeprefix("https://htx.example")).status_code == 200
    client.force_login(staff)
    assert client.get(staff_link.removeprefix("https://htx.example")).status_code == 200


def test_rollback_sends_no_mail(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(CartEmpty):
        checkout_place(
            buyer=UserFactory(),
            cart=cart_get_or_create(user=UserFactory()),
            payment_method="bank_transfer",
            address=vn_address(),
        )

    assert mail.outbox == []


# --- bad input: a specific error, nothing changed ---


def _assert_nothing_changed(product, counts_before, stock_before):
    product.refresh_from_db()
    assert _counts() == counts_before
    assert product.stock_qty == stock_before
    assert not ProductEvent.objects.filter(product=product, action="stock").exists()


BAD = [
    ("missing province", lambda: {"address": vn_address(province_code=None)}, AddressInvalid),
    ("ward of another province", lambda: {"address": vn_address(ward_code=1)}, AddressInvalid),
    ("blank recipient", lambda: {"address": vn_address(recipient_name=" ")}, AddressInvalid),
    ("unknown incoterm", lambda: {"address": export_address(incoterm="XYZ")}, AddressInvalid),
    ("bad country", lambda: {"address": export_address(country="Germany")}, AddressInvalid),
    (
        "cod for export",
        lambda: {"address": export_address(), "payment_method": "cod"},
        PaymentMethodNotAllowed,
    ),
    ("USD by bank transfer", lambda: {"currency": "USD"}, PaymentMethodNotAllowed),
    ("stripe disabled", lambda: {"payment_method": "stripe"}, PaymentMethodNotAllowed),
    ("unknown method", lambda: {"payment_method": "momo"}, PaymentMethodNotAllowed),
    ("tampered total", lambda: {"expected_total_vnd": 1}, PriceChanged),
]


@pytest.mark.parametrize("name, make, error", BAD, ids=[b[0] for b in BAD])
def test_bad_checkout_input_changes_nothing(name, make, error):
    product = ProductFactory()
    buyer = UserFactory()
    cart = fill_cart(buyer, (product, 2))
    before, stock = _counts(), product.stock_qty
    kwargs = {"payment_method": "bank_transfer", "address": vn_address(), **make()}

    with pytest.raises(error):
        checkout_place(buyer=buyer, cart=cart, **kwargs)

    _assert_nothing_changed(product, before, stock)
    assert CartLine.objects.filter(cart=cart).count() == 1


@pytest.mark.parametrize(
    "change, error",
    [
        ("price", PriceChanged),
        ("stock", OutOfStock),
        ("archived", NotPurchasable),
        ("suspended", NotPurchasable),
    ],
)
def test_stale_cart_is_refused_and_nothing_changes(change, error):
    product, other = ProductFactory(price_vnd=100_000), ProductFactory()
    buyer = UserFactory()
    cart = fill_cart(buyer, (other, 1), (product, 2))
    if change == "price":
        Product.objects.filter(pk=product.pk).update(price_vnd=90_000)
    elif change == "stock":
        Product.objects.filter(pk=product.pk).update(stock_qty=Decimal("1"))
    elif change == "archived":
        Product.objects.filter(pk=product.pk).update(status=Product.Status.ARCHIVED)
    else:
        Cooperative.objects.filter(pk=product.cooperative_id).update(
            status=Cooperative.Status.SUSPENDED
        )
    product.refresh_from_db()
    before, stock, other_stock = _counts(), product.stock_qty, other.stock_qty

    with pytest.raises(error):
        checkout_place(buyer=buyer, cart=cart, payment_method="bank_transfer", address=vn_address())

    _assert_nothing_changed(product, before, stock)
    other.refresh_from_db()
    assert other.stock_qty == other_stock
    assert CartLine.objects.filter(cart=cart).count() == 2


def test_empty_cart():
    buyer = UserFactory()

    with pytest.raises(CartEmpty):
        checkout_place(
            buyer=buyer,
            cart=cart_get_or_create(user=buyer),
            payment_method="cod",
            address=vn_address(),
        )

    assert _counts() == (0, 0, 0, 0, 0)
