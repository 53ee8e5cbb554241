"""Card payment (Stripe) on the web pages: the checkout offers it only when enabled, placing goes
through orders' checkout_place, the pay page mounts Stripe's Payment Element with its own CSP.

PaymentIntents are created against stripe-mock (STRIPE_MOCK_URL). js.stripe.com itself cannot be
reached here (no internet), so the browser side of Stripe (Payment Element, confirmPayment, the
redirect back) is not exercised: these tests check what our pages send to the browser — the data-
attributes, the script tags and the Content-Security-Policy header — and the return page's states."""

import hashlib
import hmac
import json
import os
import time
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from market.models import Ward
from orders.models import Checkout, Order, Payment
from tests.factories.catalog import ProductFactory
from tests.factories.market import UserFactory

pytestmark = pytest.mark.django_db
ALL_METHODS = ["bank_transfer", "cod", "stripe"]


@pytest.fixture(autouse=True)
def _restore_language():
    """Requests made in English leave English active in this thread: give later tests the default."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def card_enabled(settings):
    settings.PAYMENT_METHODS = ALL_METHODS
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_123"
    settings.USD_VND_RATE = 25_000
    return settings


@pytest.fixture
def stripe_mock(card_enabled):
    card_enabled.STRIPE_SECRET_KEY = "sk_test_123"
    card_enabled.STRIPE_API_BASE = os.environ["STRIPE_MOCK_URL"]
    return card_enabled


def _buyer_with_cart(product, quantity="1"):
    buyer = UserFactory()
    client = Client()
    client.force_login(buyer)
    client.post(reverse("frontend:cart_add"), {"product": product.pk, "quantity": quantity})
    return buyer, client


def _form(method="stripe", currency="VND", token="t1"):
    ward = Ward.objects.filter(province_id=20).order_by("code").first()
    return {
        "recipient_name": "Anna Schmidt",
        "recipient_phone": "0912345678",
        "province_code": ward.province_id,
        "ward_code": ward.code,
        "address_line": "12 Lê Lợi",
        "payment_method": method,
        "currency": currency,
        "token": token,
    }


def _csp(response) -> str:
    return response["Content-Security-Policy"]


def test_card_option_is_hidden_when_stripe_is_not_enabled(settings):
    settings.PAYMENT_METHODS = ["bank_transfer", "cod"]
    _, client = _buyer_with_cart(ProductFactory())

    html = client.get(reverse("frontend:checkout")).content.decode()

    assert 'value="bank_transfer"' in html
    assert 'value="stripe"' not in html
    assert 'name="currency"' not in html


def test_card_option_and_currency_choice_appear_when_enabled(card_enabled):
    _, client = _buyer_with_cart(ProductFactory())

    html = client.get(reverse("frontend:checkout")).content.decode()

    assert 'value="stripe"' in html
    assert "Thẻ (Stripe)" in html
    assert 'name="currency" value="VND"' in html
    assert 'name="currency" value="USD"' in html
    assert "Thanh toán bằng thẻ cần JavaScript" in html  # <noscript> hint: choose bank transfer


def test_card_posted_while_disabled_is_refused_and_places_nothing(settings):
    settings.PAYMENT_METHODS = ["bank_transfer", "cod"]
    product = ProductFactory()
    buyer, client = _buyer_with_cart(product)

    response = client.post(reverse("frontend:checkout"), _form(method="stripe"))

    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert Checkout.objects.count() == 0
    assert Payment.objects.count() == 0
    product.refresh_from_db()
    assert product.stock_qty == Decimal("100")


def test_usd_with_bank_transfer_is_refused_by_orders_and_places_nothing(card_enabled):
    product = ProductFactory()
    _, client = _buyer_with_cart(product)

    response = client.post(
        reverse("frontend:checkout"), _form(method="bank_transfer", currency="USD")
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "USD" in html and 'class="errorlist' in html
    assert Checkout.objects.count() == 0
    product.refresh_from_db()
    assert product.stock_qty == Decimal("100")


@pytest.mark.stripe_mock
def test_placing_with_card_creates_the_intent_and_the_pay_page_mounts_stripe(
    stripe_mock, django_capture_on_commit_callbacks
):
    buyer, client = _buyer_with_cart(ProductFactory(price_vnd=150_000))

    with django_capture_on_commit_callbacks(execute=True):  # the after-commit PaymentIntent call
        placed = client.post(reverse("frontend:checkout"), _form())
    page = client.get(placed["Location"])

    checkout = Checkout.objects.get(buyer=buyer)
    payment = Payment.objects.get(checkout=checkout)
    order = checkout.orders.get()
    html = page.content.decode()
    assert placed.status_code == 302
    assert placed["Location"] == reverse("frontend:checkout_pay", args=[checkout.pk])
    assert (checkout.payment_method, checkout.currency) == ("stripe", "VND")
    assert payment.provider_id.startswith("pi_")
    assert payment.client_secret.startswith("pi_")  # stripe-mock answers "pi_..._secret_..."
    assert page.status_code == 200
    assert 'data-stripe-key="pk_test_123"' in html
    assert f'data-client-secret="{payment.client_secret}"' in html
    assert f'data-return-url="http://testserver/don-hang/{order.code}/"' in html
    assert '<script src="https://js.stripe.com/v3/" defer></script>' in html
    assert '<script src="/static/frontend/js/card-payment.js" defer></script>' in html
    assert "<script>" not in html  # nothing inline: the CSP has no 'unsafe-inline'
    assert "180.000" in html  # 150.000 ₫ + the default 30.000 ₫ shipping
    assert "Số tiền cần thanh toán" in html
    assert "Thanh toán bằng thẻ cần JavaScript" in html  # the <noscript> explanation
    assert reverse("frontend:cart") in html  # ... and its way to bank transfer
    assert "no-store" in page["Cache-Control"]  # the client secret stays out of caches


@pytest.mark.stripe_mock
def test_only_the_pay_page_allows_stripe_in_its_csp(
    stripe_mock, django_capture_on_commit_callbacks
):
    buyer, client = _buyer_with_cart(ProductFactory())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("frontend:checkout"), _form())
    checkout = Checkout.objects.get(buyer=buyer)

    pay = client.get(reverse("frontend:checkout_pay", args=[checkout.pk]))
    others = [
        client.get(reverse("frontend:checkout_done", args=[checkout.pk])),
        client.get(reverse("frontend:order_detail", args=[checkout.orders.get().code])),
        client.get(reverse("frontend:home")),
    ]

    directives = dict(d.strip().split(" ", 1) for d in _csp(pay).split(";"))
    assert directives["script-src"] == "'self' https://js.stripe.com"
    assert directives["frame-src"] == "https://js.stripe.com https://hooks.stripe.com"
    assert directives["connect-src"] == "'self' https://api.stripe.com"
    assert directives["default-src"] == "'self'"
    for response in others:
        assert response.status_code == 200
        assert "stripe.com" not in _csp(response)
        assert "script-src 'self';" in _csp(response) + ";"


@pytest.mark.stripe_mock
def test_pay_page_creates_the_missing_intent_in_usd(stripe_mock):
    buyer, client = _buyer_with_cart(ProductFactory(price_vnd=150_000))
    # The after-commit callback is not run here, as when Stripe was down at placing time.
    client.post(reverse("frontend:checkout"), _form(currency="USD"))
    checkout = Checkout.objects.get(buyer=buyer)
    assert Payment.objects.get(checkout=checkout).provider_id == ""

    page = client.get(reverse("frontend:checkout_pay", args=[checkout.pk]))

    payment = Payment.objects.get(checkout=checkout)
    html = page.content.decode()
    assert (payment.currency, payment.amount) == ("USD", Decimal("7.20"))  # 180.000 ₫ / 25.000
    assert payment.provider_id.startswith("pi_")
    assert f'data-client-secret="{payment.client_secret}"' in html
    assert "7,20" in html and "US$" in html


def test_pay_page_says_so_when_stripe_cannot_be_reached(card_enabled):
    card_enabled.STRIPE_SECRET_KEY = "sk_test_123"
    card_enabled.STRIPE_API_BASE = (
        "http://127.0.0.1:9"  # discard port: connection refused, no retry wait
    )
    buyer, client = _buyer_with_cart(ProductFactory())
    client.post(reverse("frontend:checkout"), _form())
    checkout = Checkout.objects.get(buyer=buyer)

    page = client.get(reverse("frontend:checkout_pay", args=[checkout.pk]))

    payment = Payment.objects.get(checkout=checkout)
    html = page.content.decode()
    assert page.status_code == 200
    assert (payment.provider_id, payment.client_secret, payment.status) == ("", "", "PENDING")
    assert "data-client-secret" not in html
    assert "js.stripe.com/v3" not in html
    assert reverse("frontend:checkout_pay", args=[checkout.pk]) in html  # "try again"


def test_pay_page_is_only_for_its_buyer_and_only_for_card_checkouts(card_enabled):
    buyer, client = _buyer_with_cart(ProductFactory())
    client.post(reverse("frontend:checkout"), _form())
    checkout = Checkout.objects.get(buyer=buyer)
    _, bank_client = _buyer_with_cart(ProductFactory())
    bank_client.post(reverse("frontend:checkout"), _form(method="bank_transfer", token="t2"))
    bank_checkout = Checkout.objects.exclude(pk=checkout.pk).get()
    other = Client()
    other.force_login(UserFactory())
    url = reverse("frontend:checkout_pay", args=[checkout.pk])

    anonymous = Client().get(url)
    stranger = other.get(url)
    missing = client.get(reverse("frontend:checkout_pay", args=[bank_checkout.pk + 100]))
    bank = bank_client.get(reverse("frontend:checkout_pay", args=[bank_checkout.pk]))

    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert (stranger.status_code, missing.status_code, bank.status_code) == (404, 404, 404)
    payment = Payment.objects.get(checkout=checkout)
    assert (payment.provider_id, payment.client_secret) == (
        "",
        "",
    )  # a stranger triggers no Stripe call
    assert Payment.objects.filter(checkout=bank_checkout, provider="stripe").count() == 0


def _signed(body: bytes, secret: str) -> str:
    t = int(time.time())
    return (
        f"t={t},v1={hmac.new(secret.encode(), f'{t}.'.encode() + body, hashlib.sha256).hexdigest()}"
    )


@pytest.mark.stripe_mock
def test_return_page_shows_processing_until_the_webhook_marks_it_paid(
    stripe_mock, django_capture_on_commit_callbacks
):
    stripe_mock.STRIPE_WEBHOOK_SECRET = "whsec_test"
    buyer, client = _buyer_with_cart(ProductFactory())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("frontend:checkout"), _form())
    checkout = Checkout.objects.get(buyer=buyer)
    payment, order = checkout.payments.get(), checkout.orders.get()
    back = reverse("frontend:order_detail", args=[order.code])

    before = client.get(
        back, {"redirect_status": "succeeded", "payment_intent": payment.provider_id}
    )
    body = json.dumps(
        {
            "id": "evt_card_1",
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {
                "object": {
                    "id": payment.provider_id,
                    "object": "payment_intent",
                    "amount": payment.stripe_amount,
                    "currency": "vnd",
                    "metadata": {"checkout_id": str(checkout.pk)},
                }
            },
        }
    ).encode()
    hook = Client().post(
        "/api/v1/payments/stripe/webhook",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=_signed(body, "whsec_test"),
    )
    after = client.get(
        back, {"redirect_status": "succeeded", "payment_intent": payment.provider_id}
    )

    assert before.status_code == 200
    assert "Đang xử lý thanh toán" in before.content.decode()
    assert '<meta http-equiv="refresh" content="10">' in before.content.decode()
    assert hook.status_code == 200
    assert Order.objects.get(pk=order.pk).payment_status == Order.PaymentStatus.PAID
    assert "Đang xử lý thanh toán" not in after.content.decode()
    assert "Đã thanh toán" in after.content.decode()


def test_declined_card_return_offers_the_pay_page_again(card_enabled):
    buyer, client = _buyer_with_cart(ProductFactory())
    client.post(reverse("frontend:checkout"), _form())
    checkout = Checkout.objects.get(buyer=buyer)
    order = checkout.orders.get()

    response = client.get(
        reverse("frontend:order_detail", args=[order.code]),
        {"redirect_status": "requires_payment_method"},
    )

    html = response.content.decode()
    assert "Thanh toán bằng thẻ không thành công." in html
    assert reverse("frontend:checkout_pay", args=[checkout.pk]) in html
    assert "Đang xử lý thanh toán" not in html


@pytest.mark.stripe_mock
def test_pay_page_in_english(stripe_mock):
    buyer, client = _buyer_with_cart(ProductFactory())
    client.post(reverse("frontend:checkout"), _form())
    checkout = Checkout.objects.get(buyer=buyer)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    html = client.get(reverse("frontend:checkout_pay", args=[checkout.pk])).content.decode()

    assert "<h1>Pay by card</h1>" in html
    assert "Card payment needs JavaScript, which is turned off in your browser." in html
