"""The whole story in a real browser: a buyer searches "ca phe", filters by province, adds
products from two cooperatives, pays by bank transfer and sees the VietQR; each cooperative
confirms, packs and ships its order; the buyer sees both timelines; an admin verifies a waiting
cooperative whose products then become searchable. axe (WCAG 2.2 AA) runs on the main pages,
the CSP must never fire, and screenshots at 360 px and 1280 px are kept."""

from decimal import Decimal

import pytest

from market.models import Cooperative, Province
from orders.models import Order
from search.backends import get_backend
from tests.factories.catalog import CategoryFactory, ProductFactory
from tests.factories.market import CooperativeFactory, MembershipFactory, UserFactory
from tests.factories.search import index_everything

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "mat-khau-123"  # UserFactory's


def _world():
    coffee = CategoryFactory(slug="ca-phe", name_vi="Cà phê", name_en="Coffee")
    dak_lak, lam_dong = Province.objects.get(code=66), Province.objects.get(code=68)
    coop_a = CooperativeFactory(verified=True, trading_name="HTX Cà phê Ea Tul", province=dak_lak)
    coop_b = CooperativeFactory(verified=True, trading_name="HTX Cà phê Cầu Đất", province=lam_dong)
    waiting = CooperativeFactory(
        status=Cooperative.Status.SUBMITTED, trading_name="HTX Cà phê Chờ Duyệt", province=lam_dong
    )
    ProductFactory(
        cooperative=coop_a,
        category=coffee,
        name_vi="Cà phê Robusta Đắk Lắk",
        price_vnd=120_000,
        slug="robusta",
    )
    ProductFactory(
        cooperative=coop_b,
        category=coffee,
        name_vi="Cà phê Arabica Cầu Đất",
        price_vnd=250_000,
        slug="arabica",
        min_order_qty=Decimal("2"),
    )
    ProductFactory(
        cooperative=waiting,
        category=coffee,
        name_vi="Cà phê Culi Mới Duyệt",
        price_vnd=180_000,
        slug="culi",
    )
    index_everything(get_backend())
    return {
        "a": coop_a,
        "b": coop_b,
        "waiting": waiting,
        "buyer": UserFactory(
            email="lan@example.vn", full_name="Nguyễn Thị Lan", phone="0912345678"
        ),
        "staff_a": MembershipFactory(cooperative=coop_a).user,
        "staff_b": MembershipFactory(cooperative=coop_b).user,
        "admin": UserFactory(email="admin@example.vn", platform_admin=True),
    }


def _search_and_add(s, province: int, product_name: str):
    page = s.page
    page.wait_for_selector(f'input[name="province"][value="{province}"]')
    page.check(
        f'input[name="province"][value="{province}"]'
    )  # htmx swaps the results, pushes the URL
    page.wait_for_url(f"**province={province}**")
    page.wait_for_selector(f'#results a:has-text("{product_name}")')
    page.click(f'#results a:has-text("{product_name}")')
    page.click('form[action$="/gio-hang/them/"] button[type=submit]')
    page.wait_for_url("**/gio-hang/")


def _buy(s, axe: dict) -> None:
    page = s.go("/")
    axe["home"] = s.axe_violations()
    s.screenshot("home")
    page.fill("#q", "ca phe")
    page.press("#q", "Enter")
    page.wait_for_url("**/tim-kiem/?q=ca+phe**")
    assert page.locator("#results .card").count() == 2
    axe["search"] = s.axe_violations()
    s.screenshot("search")
    _search_and_add(s, 66, "Cà phê Robusta Đắk Lắk")
    s.go("/tim-kiem/?q=ca+phe")
    _search_and_add(s, 68, "Cà phê Arabica Cầu Đất")
    axe["cart"] = s.axe_violations()
    s.screenshot("cart")
    page.click('a[href="/thanh-toan/"]')
    page.wait_for_url("**/login/**")
    page.fill("#id_username", "lan@example.vn")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/thanh-toan/")  # the guest cart was merged into the buyer's
    page.select_option('select[name="province_code"]', "66")
    page.wait_for_selector(
        "#id_ward_code option:nth-child(2)", state="attached"
    )  # htmx brought the wards
    page.select_option("#id_ward_code", index=1)
    page.fill("#id_address_line", "12 Lê Lợi")
    page.check('input[name="payment_method"][value="bank_transfer"]')
    axe["checkout"] = s.axe_violations()
    s.screenshot("checkout")
    page.click('form[action="/thanh-toan/"] button:has-text("Đặt hàng")')
    page.wait_for_url("**/thanh-toan/*/")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.qr img')].every(i => i.naturalWidth > 0)"
    )
    assert page.locator(".qr img").count() == 2
    axe["placed"] = s.axe_violations()
    s.screenshot("vietqr")


def _fulfil(s, coop, email) -> None:
    s.login(email, PASSWORD)
    page = s.go(f"/htx/{coop.pk}/don-hang/")
    axe = s.axe_violations()
    assert page.locator("text=Chưa nhận được tiền.").count() == 1  # bank transfer, not paid yet
    page.check('input[name="unpaid_ok"]')
    page.click('button:has-text("Xác nhận đơn")')
    page.wait_for_selector("text=Không có đơn hàng nào ở trạng thái này.")
    page = s.go(f"/htx/{coop.pk}/don-hang/?status=CONFIRMED")
    page.click('button:has-text("Đánh dấu đã đóng gói")')
    page.wait_for_selector("text=Không có đơn hàng nào ở trạng thái này.")
    page = s.go(f"/htx/{coop.pk}/don-hang/?status=PACKED")
    page.fill('input[name="carrier"]', "Viettel Post")
    page.fill('input[name="tracking_number"]', f"VTP{coop.pk:06d}")
    page.check('input[name="unpaid_ok"]')
    s.screenshot("ship")
    page.click('button:has-text("Giao cho đơn vị vận chuyển")')
    page.wait_for_selector("text=Không có đơn hàng nào ở trạng thái này.")
    assert axe == []


def test_whole_story(units, open_session):
    w = _world()
    axe: dict[str, list] = {}
    buyer = open_session("buyer")

    _buy(buyer, axe)
    orders = list(Order.objects.filter(buyer=w["buyer"]).order_by("cooperative_id"))
    assert sorted(o.cooperative_id for o in orders) == sorted([w["a"].pk, w["b"].pk])
    for coop, staff in ((w["a"], w["staff_a"]), (w["b"], w["staff_b"])):
        _fulfil(open_session(f"coop{coop.pk}"), coop, staff.email)

    assert [o.status for o in Order.objects.filter(buyer=w["buyer"])] == [Order.Status.SHIPPED] * 2
    for order in orders:
        page = buyer.go(f"/don-hang/{order.code}/")
        assert page.locator("ol.timeline li").count() == 4  # placed, confirmed, packed, shipped
        assert page.locator(f"text=VTP{order.cooperative_id:06d}").count() == 1
    axe["order"] = buyer.axe_violations()
    buyer.screenshot("timeline")

    admin = open_session("admin")
    admin.login("admin@example.vn", PASSWORD)
    page = admin.go("/quan-tri/")
    axe["admin_queue"] = admin.axe_violations()
    page.click(f'a:has-text("{w["waiting"].legal_name}")')
    page.click('button:has-text("Phê duyệt")')
    page.wait_for_selector("text=Đã xác minh")
    w["waiting"].refresh_from_db()
    assert w["waiting"].status == Cooperative.Status.VERIFIED

    guest = open_session("guest")
    page = guest.go("/tim-kiem/?q=ca+phe")
    assert page.locator('#results a:has-text("Cà phê Culi Mới Duyệt")').count() == 1
    assert {k: v for k, v in axe.items() if v} == {}
    assert buyer.csp_errors + admin.csp_errors + guest.csp_errors == []


def test_core_buying_path_without_javascript(units, open_session):
    w = _world()
    s = open_session("nojs", javascript=False)

    page = s.go("/")
    page.fill("#q", "ca phe")
    page.press("#q", "Enter")
    page.check('input[name="province"][value="66"]')
    page.click('button:has-text("Áp dụng bộ lọc")')  # the plain GET form reloads the page
    page.wait_for_url("**province=66**")
    assert page.locator("#results .card").count() == 1
    page.click('#results a:has-text("Cà phê Robusta Đắk Lắk")')
    page.click('form[action$="/gio-hang/them/"] button[type=submit]')
    page.wait_for_url("**/gio-hang/")
    page.click('a[href="/thanh-toan/"]')
    page.fill("#id_username", "lan@example.vn")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/thanh-toan/")
    page.fill("#id_recipient_phone", "0912345678")
    page.select_option('select[name="province_code"]', "66")
    page.click('button:has-text("Hiện phường / xã của tỉnh này")')  # GET reload with the wards
    page.wait_for_url("**province_code=66**")
    page.select_option("#id_ward_code", index=1)
    page.fill("#id_address_line", "12 Lê Lợi")
    s.screenshot("checkout")
    page.click('form[action="/thanh-toan/"] button:has-text("Đặt hàng")')
    page.wait_for_url("**/thanh-toan/*/")

    order = Order.objects.get(buyer=w["buyer"])
    assert order.cooperative_id == w["a"].pk
    assert page.locator(f'.qr img[src="/don-hang/{order.code}/vietqr.svg"]').count() == 1
    page.click(f'a:has-text("{order.code}")')
    assert page.locator("ol.timeline li").count() == 1
