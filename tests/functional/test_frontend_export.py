"""Export checkout in a real browser (Chromium, JavaScript on, 1280 px): choosing "Export" hides the
Vietnamese address and cash on delivery, the buyer fills country, address and Incoterm, and the
order is placed for Germany on FOB terms. The CSP must not fire; axe (WCAG 2.2 AA) runs on the form."""

import re

import pytest

from orders.models import Checkout
from tests.factories.catalog import ProductFactory
from tests.factories.market import UserFactory
from tests.factories.orders import fill_cart

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "mat-khau-123"  # UserFactory's


def test_export_checkout_with_javascript(units, open_session):
    buyer = UserFactory(email="anna@example.com", full_name="Anna Schmidt")
    fill_cart(buyer, (ProductFactory(price_vnd=150_000, incoterms=["FOB", "CIF"]), 3))
    s = open_session("export-checkout")
    s.login("anna@example.com", PASSWORD)
    page = s.go("/thanh-toan/")
    domestic, export = (
        page.locator('fieldset[data-destination="VN"]'),
        page.locator('fieldset[data-destination="EXPORT"]'),
    )
    cod = page.locator("[data-domestic-only]").filter(has=page.locator('input[value="cod"]'))
    before_switch = (domestic.is_visible(), export.is_visible(), cod.is_visible())

    page.get_by_label("Xuất khẩu").check()
    after_switch = (domestic.is_visible(), export.is_visible(), cod.is_visible())
    page.select_option("#id_country", "DE")
    page.fill("#id_export_address_line1", "Am Sandtorkai 1")
    page.fill("#id_city", "Hamburg")
    page.fill("#id_postal_code", "20457")
    page.select_option("#id_incoterm", "FOB")
    page.fill("#id_recipient_phone", "+49 40 123456")
    vietqr_hidden = not page.locator('input[value="bank_transfer"]').is_visible()
    page.locator('input[name="payment_method"][value="installments"]').check()  # wire
    s.screenshot("filled")
    violations = s.axe_violations()
    page.get_by_role("button", name="Đặt hàng").click()
    page.wait_for_url(re.compile(r"/thanh-toan/\d+/$"))

    assert before_switch == (
        True,
        False,
        True,
    )  # a buyer in Vietnam starts with the domestic address
    assert after_switch == (False, True, False)  # export: no province/ward, no cash on delivery
    checkout = Checkout.objects.get(buyer=buyer)
    assert (checkout.country, checkout.incoterm, checkout.city, checkout.postal_code) == (
        "DE",
        "FOB",
        "Hamburg",
        "20457",
    )
    assert checkout.payment_method == "installments" and vietqr_hidden  # never VietQR abroad
    assert violations == []
    assert s.csp_errors == []
