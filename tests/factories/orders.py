"""Orders test helpers: set state up through our own services (cart → checkout_place)."""

from decimal import Decimal

import factory

from market.models import Ward
from orders.models import ShippingRule
from orders.services.cart import cart_get_or_create, cart_line_set
from orders.services.checkout import ShippingAddress, checkout_place
from tests.factories.market import CooperativeFactory


class ShippingRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingRule

    cooperative = factory.SubFactory(CooperativeFactory, verified=True)
    kind = ShippingRule.Kind.FLAT
    flat_fee_vnd = 25_000


def vn_address(**overrides) -> ShippingAddress:
    ward = Ward.objects.filter(province_id=20).order_by("code").first()
    data = {
        "recipient_name": "Nguyễn Thị Lan",
        "recipient_phone": "0987654321",
        "address_line": "12 Lê Lợi",
        "country": "VN",
        "province_code": 20,
        "ward_code": ward.code,
    }
    data.update(overrides)
    return ShippingAddress(**data)


def api_address() -> dict:
    """A Vietnamese shipping address as the checkout API takes it."""
    ward = Ward.objects.filter(province_id=20).order_by("code").first()
    return {
        "recipient_name": "Trần Văn Bình",
        "recipient_phone": "0912000111",
        "address_line": "5 Trần Phú",
        "country": "VN",
        "province_code": 20,
        "ward_code": ward.code,
    }


def export_address(**overrides) -> ShippingAddress:
    data = {
        "recipient_name": "Anna Schmidt",
        "recipient_phone": "+4930123456",
        "address_line": "Hauptstr. 1",
        "country": "DE",
        "city": "Berlin",
        "postal_code": "10115",
        "incoterm": "FOB",
    }
    data.update(overrides)
    return ShippingAddress(**data)


def fill_cart(user, *items):
    """items: (product, quantity) pairs; returns the user's cart."""
    cart = cart_get_or_create(user=user)
    for product, qty in items:
        cart_line_set(cart=cart, product_id=product.pk, quantity=Decimal(str(qty)))
    return cart


def place(buyer, *items, payment_method="bank_transfer", address=None, **kw):
    """Put items in the buyer's cart and place it; returns the Checkout."""
    cart = fill_cart(buyer, *items)
    return checkout_place(
        buyer=buyer, cart=cart, payment_method=payment_method, address=address or vn_address(), **kw
    )


def place_order(buyer, product, qty=1, **kw):
    """One order for one product; returns the Order."""
    return place(buyer, (product, qty), **kw).orders.get()


def pay_by_card(checkout, intent_id="pi_123"):
    """The checkout's card payment succeeds for its whole amount, through the same handler the
    Stripe webhook runs (orders paid, ledger posted); Stripe itself is not called."""
    from django.db import transaction

    from orders import money
    from orders.models import Payment
    from orders.services.stripe_payments import on_intent_succeeded

    Payment.objects.filter(checkout=checkout).update(provider_id=intent_id)
    payment = Payment.objects.get(checkout=checkout)
    with transaction.atomic():
        return on_intent_succeeded(
            {
                "id": intent_id,
                "amount": money.to_minor(payment.amount, payment.currency),
                "currency": payment.currency.lower(),
                "metadata": {"checkout_id": str(checkout.pk)},
            }
        )
