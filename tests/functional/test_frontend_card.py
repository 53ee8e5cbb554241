"""The card payment page in a real browser (Chromium), with and without JavaScript.

js.stripe.com itself cannot be reached here (no internet), so the browser side of Stripe (the real
Payment Element, confirmPayment, 3-D Secure, the redirect back) is NOT exercised. Requests to
js.stripe.com are intercepted at the network boundary instead: once refused (our page must say
so), once answered by a tiny stand-in that records what our card-payment.js passes to Stripe()
(key, client secret, return URL). The PaymentIntent itself is real, created on stripe-mock."""

import json
import os

import pytest

from orders.services.stripe_payments import payment_intent_ensure
from tests.factories.catalog import ProductFactory
from tests.factories.market import UserFactory
from tests.factories.orders import place

pytestmark = [pytest.mark.browser, pytest.mark.stripe_mock, pytest.mark.slow]
PASSWORD = "mat-khau-123"  # UserFactory's

# Stands in for https://js.stripe.com/v3/ (unreachable here): records the calls our script makes.
FAKE_STRIPE_JS = """
window.stripeCalls = [];
window.Stripe = function (key, opts) {
  window.stripeCalls.push(["Stripe", key, opts]);
  return {
    elements: function (o) { window.stripeCalls.push(["elements", o]);
      return {create: function (t) { window.stripeCalls.push(["create", t]); return {mount: function (s) {
        window.stripeCalls.push(["mount", s]); }}; }}; },
    confirmPayment: function (o) { window.stripeCalls.push(["confirmPayment", o.confirmParams]);
      return Promise.resolve({error: {message: "Thẻ bị từ chối (giả lập)"}}); }
  };
};
"""


@pytest.fixture
def card_checkout(units, settings):
    settings.PAYMENT_METHODS = ["bank_transfer", "cod", "stripe"]
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_123"
    settings.STRIPE_API_BASE = os.environ["STRIPE_MOCK_URL"]
    buyer = UserFactory(email="anna@example.com")
    checkout = place(buyer, (ProductFactory(), 1), payment_method="stripe")
    payment = payment_intent_ensure(checkout_id=checkout.pk)
    return checkout, payment


def test_without_javascript_the_page_explains_and_points_to_bank_transfer(
    open_session, card_checkout
):
    checkout, _ = card_checkout
    s = open_session("card-nojs", javascript=False)
    s.login("anna@example.com", PASSWORD)

    page = s.go(f"/thanh-toan/{checkout.pk}/the/")

    # Playwright turns scripting off through DevTools, yet Chromium's stylesheet still hides
    # <noscript> as if scripting were on, so we read its content rather than asking whether it is
    # visible; the form (hidden until our script shows it) must stay hidden.
    noscript = page.locator("main noscript").inner_html()
    assert (
        "Thanh toán bằng thẻ cần JavaScript, nhưng trình duyệt của bạn đang tắt JavaScript."
        in noscript
    )
    assert 'href="/gio-hang/"' in noscript and "Đến giỏ hàng" in noscript
    assert not page.locator("#card-payment").is_visible()
    s.screenshot("pay-nojs")


def test_when_stripe_js_cannot_load_the_page_says_so(open_session, card_checkout):
    checkout, _ = card_checkout
    s = open_session("card-blocked")
    s.login("anna@example.com", PASSWORD)
    s.page.route("https://js.stripe.com/**", lambda route: route.abort())

    page = s.go(f"/thanh-toan/{checkout.pk}/the/")

    page.wait_for_selector("#card-load-error", state="visible")
    assert not page.locator("#card-payment").is_visible()
    assert s.csp_errors == []


def test_our_script_hands_stripe_the_key_secret_and_return_url(
    open_session, card_checkout, live_server
):
    checkout, payment = card_checkout
    s = open_session("card-stub")
    s.login("anna@example.com", PASSWORD)
    s.page.route(
        "https://js.stripe.com/**",
        lambda route: route.fulfill(
            status=200, content_type="application/javascript", body=FAKE_STRIPE_JS
        ),
    )

    page = s.go(f"/thanh-toan/{checkout.pk}/the/")
    page.wait_for_selector("#card-payment", state="visible")
    page.click("#card-submit")
    page.wait_for_selector("#card-message", state="visible")

    calls = json.loads(page.evaluate("JSON.stringify(window.stripeCalls)"))
    order = checkout.orders.get()
    assert calls[0] == ["Stripe", "pk_test_123", {"locale": "vi"}]
    assert calls[1] == ["elements", {"clientSecret": payment.client_secret}]
    assert calls[2:4] == [["create", "payment"], ["mount", "#payment-element"]]
    assert calls[4] == [
        "confirmPayment",
        {"return_url": f"{live_server.url}/don-hang/{order.code}/"},
    ]
    assert page.locator("#card-message").inner_text() == "Thẻ bị từ chối (giả lập)"
    assert page.locator("#card-submit").is_enabled()
    assert s.csp_errors == []  # Stripe's script and ours both allowed by this page's CSP
