"""The money pages in a real browser (Chromium): a cooperative's earnings page on a 360 px phone,
and an admin's payout run with the bank CSV downloaded and a line marked paid. Stripe is the
process boundary: the card charge is applied through the webhook's own handler."""

import csv
import io

import pytest

from ledger.checks import ledger_check
from ledger.models import PayoutLine
from orders.services.transitions import order_transition
from tests.factories.catalog import ProductFactory
from tests.factories.market import CooperativeFactory, MembershipFactory, UserFactory
from tests.factories.orders import export_address, pay_by_card, place

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "mat-khau-123"  # UserFactory's


@pytest.fixture
def released(units, settings):
    settings.PAYMENT_METHODS = ["bank_transfer", "cod", "stripe"]
    coop = CooperativeFactory(
        verified=True,
        bank_bin="970436",
        bank_account="0071000123456",
        bank_account_name="HTX CAU DAT",
    )
    staff = UserFactory(email="thu@htx.vn")
    MembershipFactory(cooperative=coop, user=staff, role="OWNER")
    admin = UserFactory(email="admin@htx.market", platform_admin=True)
    for price in (1_200_000, 800_000):
        checkout = place(
            UserFactory(),
            (
                ProductFactory(cooperative=coop, price_vnd=price, name_vi="Cà phê Arabica Cầu Đất"),
                1,
            ),
            payment_method="stripe",
            address=export_address(),
        )
        pay_by_card(checkout, f"pi_{checkout.pk}")
        order = checkout.orders.get()
        for step in ("CONFIRMED", "PACKED", "SHIPPED", "DELIVERED", "COMPLETED"):
            extra = {"carrier": "GHN", "tracking_number": "GHN1"} if step == "SHIPPED" else {}
            order_transition(actor=admin, order_id=order.pk, to=step, **extra)
    return coop


def released_payable(coop) -> int:
    return sum(o.total_vnd - o.commission_vnd for o in coop.orders.all())


def test_the_earnings_page_reads_on_a_360_px_phone(open_session, released):
    s = open_session("earnings")
    s.login("thu@htx.vn", PASSWORD)
    s.page.set_viewport_size({"width": 360, "height": 780})

    page = s.go(f"/htx/{released.pk}/doanh-thu/")

    chart = page.locator("figure.chart-box svg")
    box = chart.bounding_box()
    assert page.locator("h1").inner_text() == "Doanh thu"
    payable = f"{released_payable(released):,}".replace(",", ".")
    assert page.locator("[data-balance=payable]").inner_text().startswith(payable)
    assert chart.is_visible() and 300 <= box["width"] <= 360 and box["height"] >= 150
    assert page.locator("figure.chart-box rect").count() == 12
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing scrolls sideways
    assert "Cà phê Arabica Cầu Đất" in page.locator("main table").first.inner_text()
    with page.expect_download() as dl:
        page.locator("ul.statements a").first.click()
    assert open(dl.value.path(), "rb").read(4) == b"%PDF"
    assert s.axe_violations() == [] and s.csp_errors == []
    s.screenshot("earnings")


def test_an_admin_runs_the_payout_downloads_the_bank_file_and_marks_the_line_paid(
    open_session, released
):
    s = open_session("payout")
    s.login("admin@htx.market", PASSWORD)

    page = s.go("/quan-tri/tai-chinh/")
    page.click("#payout-run")
    page.wait_for_load_state()
    with page.expect_download() as dl:
        page.get_by_role("link", name="Tệp chuyển khoản (CSV)").first.click()
    rows = list(csv.DictReader(io.StringIO(open(dl.value.path(), encoding="utf-8").read())))
    line = PayoutLine.objects.get()
    page.fill("input[name=bank_reference]", "FT26340123")
    page.click("form[action$='/da-chuyen/'] button")
    page.wait_for_load_state()

    assert rows == [
        {
            "beneficiary_name": "HTX CAU DAT",
            "account_number": "0071000123456",
            "bank_bin": "970436",
            "amount_vnd": str(line.amount_vnd),
            "transfer_note": line.transfer_note,
            "line_id": str(line.pk),
        }
    ]
    assert line.amount_vnd == released_payable(released)
    line.refresh_from_db()
    assert (line.status, line.bank_reference) == ("PAID", "FT26340123")
    assert "Đã thanh toán FT26340123" in page.locator(f"#batch-{line.batch_id}").inner_text()
    assert ledger_check().ok
    s.screenshot("finance")
