"""The phone layout holds: every page route of the web pages, visited at 360 px as each role
(guest, buyer, cooperative staff, platform admin), never scrolls sideways
(`document.documentElement.scrollWidth <= 360`), keeps the header at most 64 px tall with its
menu button and cart badge, and axe (WCAG 2.2 AA) finds nothing serious on it.

The route list is checked against the frontend's URL patterns: a new page route that this test
does not visit fails it (partials, images and POST-only routes are listed with the reason)."""

import os
import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from catalog.services import imports as import_services
from frontend import urls as frontend_urls
from market.accounts.services import email_verification_link
from market.invitations import services as invitations
from market.models import Membership
from tests.factories.catalog import CategoryFactory, CertificationFactory, ProductFactory
from tests.factories.market import CooperativeFactory, MembershipFactory, UserFactory
from tests.factories.orders import place_order
from tests.factories.search import index_everything
from tests.functional.conftest import SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "mat-khau-123"  # UserFactory's
PHONE = {"width": 360, "height": 740}

NOT_PAGES = {
    "suggest": "htmx partial of the search box",
    "wards": "htmx partial (ward <select>)",
    "coop_register_wards": "htmx partial (ward <select>)",
    "order_vietqr": "SVG image",
    "order_vietqr_png": "PNG attachment",
    "checkout_pay": "card payment page, only for card checkouts (needs Stripe keys)",
    "logout": "POST only",
    "language": "POST only (the header's language button)",
    "cart_add": "POST only",
    "cart_update": "POST only",
    "cart_remove": "POST only",
    "order_cancel": "POST only",
    "order_received": "POST only",
    "coop_submit": "POST only",
    "coop_product_publish": "POST only",
    "coop_product_stock": "POST only",
    "coop_product_image_add": "POST only",
    "coop_product_image_move": "POST only",
    "coop_product_image_delete": "POST only",
    "coop_import_apply": "POST only",
    "coop_order_move": "POST only",
    "coop_order_paid": "POST only",
    "coop_products_bulk": "POST only",
    "coop_import_photos": "POST only",
    "staff_decide": "POST only",
    "staff_certification_decide": "POST only",
    "rfq_close": "POST only",
    "rfq_quote": "POST only",
    "rfq_accept": "POST only",
    "rfq_withdraw": "POST only",
    "rfq_attachment": "file download",
    "export_move": "POST only",
    "export_shipment": "POST only",
    "export_document": "POST only",
    "export_wire": "POST only",
    "export_transport_document": "file download",
    "export_pdf": "PDF download",
}
NOT_PAGES.update(
    {
        "staff_payout_run": "POST only",
        "order_refund_cancel": "POST only",
        "order_refund_create": "POST only",
        "order_refund_paid_out": "POST only",
        "staff_payout_line_paid": "POST only",
        "staff_payout_line_failed": "POST only",
        "rfq_close": "POST only",
        "rfq_quote": "POST only",
        "rfq_accept": "POST only",
        "rfq_withdraw": "POST only",
        "rfq_attachment": "file download",
        "export_move": "POST only",
        "export_shipment": "POST only",
        "export_document": "POST only",
        "export_transport_document": "file download",
        "export_pdf": "PDF",
        "export_wire": "POST only",
    }
)
# Every page route is visited: the export pages (RFQ, quote thread, export order) through the
# world's export trade, the card page of an export installment against stripe-mock (js.stripe.com
# replaced at the network boundary), the e-mail verification page through a signed link.
NOT_VISITED: dict[str, str] = {}
NOT_PAGE_PREFIXES = (  # POST / file download
    "coop_products_bulk",
    "coop_import_template",
    "coop_variant",  # the family's variants: bulk edit, add, delete (POST only)
)


def _world():
    cat = CategoryFactory(slug="ca-phe", name_vi="Cà phê", name_en="Coffee")
    coop = CooperativeFactory(
        verified=True, trading_name="HTX Cà phê Ea Tul Đắk Lắk", phone="0912345678"
    )
    coop.bank_bin, coop.bank_account, coop.bank_account_name = "970436", "0071000123456", "HTX"
    coop.save()
    product = ProductFactory(
        cooperative=coop,
        category=cat,
        name_vi="Cà phê Robusta nhân xanh S18 vụ 2025 – bao PP 25 kg xuất khẩu",
        slug="robusta",
        hs_code="0901.11",
        incoterms=["FOB", "CIF"],
        port_of_loading="Cát Lái",
        packaging="bao PP 25 kg",
        monthly_capacity=Decimal("20"),
    )
    CertificationFactory(cooperative=coop)
    waiting = CooperativeFactory(status="SUBMITTED", trading_name="HTX Chờ Duyệt")
    index_everything_safe()
    buyer = UserFactory(email="lan@example.vn", full_name="Nguyễn Thị Lan")
    staff = MembershipFactory(cooperative=coop, role=Membership.Role.OWNER).user
    admin = UserFactory(email="admin@example.vn", platform_admin=True)
    order = place_order(buyer, product, qty=2, payment_method="bank_transfer")
    job = import_services.import_job_start(
        actor=staff,
        cooperative_id=coop.pk,
        file_name="san-pham.csv",
        data="sku,name_vi,category,unit,price_vnd\nA1,Cà phê,Cà phê,kg,120000\n".encode(),
        run_inline=True,
    )
    invitee = "moi@example.vn"
    token = _invite(staff, coop, invitee)
    rfq_open, rfq_won, export_order = _export_trade(buyer, staff, product, cat)
    return locals()


def _export_trade(buyer, staff, product, cat):
    """An open RFQ quoted by the cooperative, and an awarded one with its export order."""
    import datetime

    from django.utils import timezone

    from market.models import BuyerProfile
    from quotes.services import quote_accept, quote_submit, rfq_create

    BuyerProfile.objects.create(
        user=buyer, kind="COMPANY", company_name="Lan Trading", country="VN"
    )
    today = timezone.localdate()
    rfq = {
        "title": "Robusta S18, 19.2 t FOB Cát Lái",
        "category_id": cat.pk,
        "quantity": Decimal("19.2"),
        "unit": "TAN",
        "incoterm": "FOB",
        "named_place": "Cát Lái",
        "destination_country": "DE",
        "delivery_from": today + datetime.timedelta(days=30),
        "delivery_to": today + datetime.timedelta(days=60),
        "closes_at": timezone.now() + datetime.timedelta(days=7),
    }
    quote = {
        "product_id": product.pk,
        "unit_price": Decimal("4100"),
        "currency": "USD",
        "incoterm": "FOB",
        "named_place": "Cát Lái",
        "quantity": Decimal("19.2"),
        "moq": Decimal("5"),
        "lead_time_days": 30,
        "valid_until": today + datetime.timedelta(days=14),
        "deposit_percent": Decimal("30"),
        "balance_due": "AGAINST_BL_COPY",
    }
    opened = rfq_create(buyer=buyer, data=rfq)
    quote_submit(actor=staff, rfq_id=opened.pk, data=quote)
    won = rfq_create(buyer=buyer, data={**rfq, "title": "Robusta S18, 5 t"})
    order = quote_accept(
        actor=buyer, quote_id=quote_submit(actor=staff, rfq_id=won.pk, data=quote).pk
    ).order
    return opened, won, order


def index_everything_safe():
    from search.backends import get_backend

    index_everything(get_backend())


def _invite(staff, coop, email):
    sent = {}
    original = invitations._mail_invitation

    def keep(c, e, token):
        sent["token"] = token

    invitations._mail_invitation = keep
    try:
        invitations.membership_invite(
            actor=staff, cooperative_id=coop.pk, email=email, role="STAFF"
        )
    finally:
        invitations._mail_invitation = original
    return sent["token"]


def _routes(w) -> dict[str, list[tuple[str, str]]]:
    """(route name, path) per role."""
    coop, product, order = w["coop"], w["product"], w["order"]
    rfq, won, export = w["rfq_open"], w["rfq_won"], w["export_order"].code
    deposit = w["export_order"].installments.order_by("sequence").first()
    verify = urlsplit(email_verification_link(w["buyer"]))
    trade = [
        ("rfq_list", "/rfq/"),
        ("rfq_detail", f"/rfq/{rfq.pk}/"),
        ("rfq_detail", f"/rfq/{won.pk}/"),
        ("rfq_thread", f"/rfq/{rfq.pk}/messages/{coop.pk}/"),
        ("export_order", f"/export/{export}/"),
    ]
    uid = urlsafe_base64_encode(force_bytes(w["buyer"].pk))
    token = default_token_generator.make_token(w["buyer"])
    public = [
        ("home", "/"),
        ("directory", "/hop-tac-xa/"),
        ("coop_profile", f"/hop-tac-xa/{coop.slug}/"),
        ("product", f"/san-pham/{product.pk}/{product.slug}/"),
        ("search", "/tim-kiem/?q=ca+phe"),
        ("search", "/tim-kiem/?q=xyzxyzxyz"),
        ("cart", "/gio-hang/"),
    ]
    guest_only = [
        ("login", "/login/"),
        ("signup", "/signup/"),
        ("password_reset", "/password-reset/"),
        ("password_reset_done", "/password-reset/sent/"),
        ("password_reset_confirm", f"/password-reset/{uid}/{token}/"),
        ("password_reset_complete", "/password-reset/done/"),
        ("invitation_accept", f"/invitations/{w['token']}/"),
        ("verify_email", f"{verify.path}?{verify.query}"),
    ]
    buyer = [
        ("checkout", "/thanh-toan/"),
        ("checkout_done", f"/thanh-toan/{order.checkout_id}/"),
        ("order_list", "/don-hang/"),
        ("order_detail", f"/don-hang/{order.code}/"),
        ("coop_register", "/htx/dang-ky/"),
        ("coop_home", "/htx/"),
        ("rfq_new", "/rfq/new/"),
        ("export_card", f"/export/{export}/installments/{deposit.pk}/card/"),
        ("verify_email", f"{verify.path}?{verify.query}"),
        *trade,
    ]
    c = f"/htx/{coop.pk}"
    staff = [
        ("coop_home", "/htx/"),
        ("coop_dashboard", f"{c}/"),
        ("coop_profile_edit", f"{c}/ho-so/"),
        ("coop_documents", f"{c}/giay-to/"),
        ("coop_products", f"{c}/san-pham/"),
        ("coop_product_create", f"{c}/san-pham/moi/"),
        ("coop_product_edit", f"{c}/san-pham/{product.pk}/"),
        ("coop_certifications", f"{c}/chung-nhan/"),
        ("coop_import", f"{c}/nhap/"),
        ("coop_import_job", f"{c}/nhap/{w['job'].pk}/"),
        ("coop_orders", f"{c}/don-hang/"),
        ("coop_order_print", f"{c}/don-hang/{order.code}/slip/"),
        ("coop_order_print", f"{c}/don-hang/{order.code}/invoice/"),
        ("order_detail", f"/don-hang/{order.code}/"),
        ("order_list", "/don-hang/"),
        ("coop_demand", f"{c}/nhu-cau/"),
        *trade,
    ]
    staff.append(("coop_earnings", f"{c}/doanh-thu/"))
    staff.append(("order_refunds", f"/don-hang/{order.code}/hoan-tien/"))
    staff.append(("coop_demand", f"{c}/nhu-cau/"))
    staff.append(("rfq_list", "/rfq/"))
    buyer.append(("rfq_list", "/rfq/"))
    buyer.append(("rfq_new", "/rfq/new/"))
    admin = [
        ("staff_finance", "/quan-tri/tai-chinh/"),
        ("staff_queue", "/quan-tri/"),
        ("staff_cooperative", f"/quan-tri/htx/{w['waiting'].pk}/"),
        ("staff_certifications", "/quan-tri/chung-nhan/"),
        ("staff_suspended", "/quan-tri/tam-ngung/"),
        ("staff_unpaid_holders", "/quan-tri/giu-hang-chua-tra/"),
        ("staff_refunds", "/quan-tri/hoan-tien/"),
        ("order_detail", f"/don-hang/{order.code}/"),
        ("order_refunds", f"/don-hang/{order.code}/hoan-tien/"),
        *trade,
    ]
    return {
        "guest": public + guest_only,
        "buyer": public + buyer,
        "staff": public + staff,
        "admin": public + admin,
    }


# js.stripe.com cannot be reached from here: a stand-in mounts a box where Stripe's Payment Element
# goes, so the card page is laid out as a buyer sees it.
FAKE_STRIPE_JS = """
window.Stripe = function () { return {
  elements: function () { return { create: function () { return { mount: function (sel) {
    var box = document.createElement("div"); box.style.height = "12rem";
    box.textContent = "Stripe Payment Element"; document.querySelector(sel).appendChild(box);
  } }; } }; },
  confirmPayment: function () { return Promise.resolve({}); }
}; };
"""


def _stand_in_stripe_js(route):
    route.fulfill(status=200, content_type="application/javascript", body=FAKE_STRIPE_JS)


def _check_page(s, path: str) -> list[str]:
    page = s.page
    response = page.goto(s.base_url + path)
    problems = []
    if response is None or response.status >= 400:
        problems.append(f"{path}: HTTP {response.status if response else 'none'}")
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > 360:
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                 .filter(e => e.getBoundingClientRect().right > 361)
                 .slice(0, 3).map(e => e.tagName + '.' + e.className)"""
        )
        problems.append(f"{path}: scrollWidth {width} ({wide})")
    header = page.evaluate("document.querySelector('header.site').getBoundingClientRect().height")
    if header > 64:
        problems.append(f"{path}: header {header}px tall")
    for v in s.axe_violations():
        problems.append(f"{path}: axe {v['id']} {v['nodes']}")
    return problems


@pytest.mark.stripe_mock
def test_every_page_route_fits_360px_for_every_role(units, open_session, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_123"  # the export card page, against stripe-mock
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_123"
    settings.STRIPE_API_BASE = os.environ["STRIPE_MOCK_URL"]
    w = _world()
    routes = _routes(w)
    problems: list[str] = []

    for role, user in (
        ("guest", None),
        ("buyer", w["buyer"]),
        ("staff", w["staff"]),
        ("admin", w["admin"]),
    ):
        s = open_session(f"phone-{role}")
        s.page.set_viewport_size(PHONE)
        if user is not None:
            s.login(user.email, PASSWORD)
            s.page.set_viewport_size(PHONE)
        if role == "buyer":  # a filled cart: two lines, the badge shows them
            s.go(f"/san-pham/{w['product'].pk}/{w['product'].slug}/")
            s.page.click('form[action$="/gio-hang/them/"] button[type=submit]')
            s.page.wait_for_url("**/gio-hang/")
            badge = s.page.locator("header .cart-link .count").inner_text()
            assert badge == "1"
            s.page.route("https://js.stripe.com/**", _stand_in_stripe_js)
        for _name, path in routes[role]:
            problems += [f"{role} {p}" for p in _check_page(s, path)]
        if role == "buyer":  # the card page was laid out with Stripe's form, not an error
            card = dict(routes[role])["export_card"]
            s.page.goto(s.base_url + card)
            assert s.page.locator("#payment-element").inner_text() == "Stripe Payment Element"
        s.page.goto(s.base_url + "/")
        SHOTS.mkdir(parents=True, exist_ok=True)
        s.page.screenshot(path=str(SHOTS / f"phone-{role}-home-360.png"))
        assert s.page.locator("header .menu-toggle").is_visible()
        s.page.click("header .menu-toggle")
        assert s.page.locator("#main-nav").is_visible()
        s.page.screenshot(path=str(SHOTS / f"phone-{role}-menu-360.png"))
        assert s.csp_errors == []

    assert problems == []
    visited = {name for role in routes.values() for name, _ in role}
    pages = {
        p.name
        for p in frontend_urls.urlpatterns
        if p.name not in NOT_PAGES
        and p.name not in NOT_VISITED
        and not p.name.startswith(NOT_PAGE_PREFIXES)
    }
    assert pages - visited == set()


def test_phone_page_list_names_real_routes():
    names = {p.name for p in frontend_urls.urlpatterns}

    assert set(NOT_PAGES) | set(NOT_VISITED) <= names
    assert all(re.fullmatch(r"[a-z_]+", n) for n in names)


def test_search_on_a_phone_filters_in_a_panel_with_chips_hierarchy_and_two_columns(
    units, open_session
):
    coffee = CategoryFactory(slug="ca-phe", name_vi="Cà phê", name_en="Coffee")
    robusta = CategoryFactory(slug="ca-phe-robusta", name_vi="Cà phê Robusta", parent=coffee)
    arabica = CategoryFactory(slug="ca-phe-arabica", name_vi="Cà phê Arabica", parent=coffee)
    for code, name, cat in (
        (66, "Cà phê Robusta Đắk Lắk", robusta),
        (68, "Cà phê Arabica Cầu Đất", arabica),
        (68, "Cà phê Arabica Lâm Đồng rang", arabica),
        (66, "Cà phê Robusta Buôn Ma Thuột", robusta),
        *[(68, f"Cà phê Arabica Cầu Đất lô {i}", arabica) for i in range(1, 9)],
    ):
        ProductFactory(
            cooperative=CooperativeFactory(verified=True, province_id=code),
            category=cat,
            name_vi=name,
        )
    index_everything_safe()
    s = open_session("search-phone")
    s.page.set_viewport_size(PHONE)

    page = s.go("/tim-kiem/?q=ca+phe")
    axe = s.axe_violations()
    assert not page.locator("#filters").is_visible()  # closed until asked for
    page.click("button.filter-toggle")
    filters_y = page.locator("#filters").bounding_box()["y"]
    results_y = page.locator("#results").bounding_box()["y"]
    category = page.locator('#filters fieldset:has(legend:has-text("Danh mục"))')
    heads = [
        t.split("(")[0].strip() for t in category.locator("label:not(.child)").all_inner_texts()
    ]
    children = [t.split("(")[0].strip() for t in category.locator("label.child").all_inner_texts()]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "search-phone-panel-360.png"), full_page=True)
    page.check('input[name="province"][value="68"]')
    page.wait_for_url("**province=68**")
    top = "document.getElementById('results-count').getBoundingClientRect().top"
    for _ in range(30):  # htmx settles, then app.js brings the results count into view
        count_top = page.evaluate(top)
        if abs(count_top) < 5:
            break
        page.wait_for_timeout(100)
    chips = page.locator(".search-chips li").all_inner_texts()
    cards = page.locator("#results .card").all()
    tops = {round(c.bounding_box()["y"]) for c in cards}
    page.screenshot(path=str(SHOTS / "search-phone-filtered-360.png"), full_page=True)
    axe += s.axe_violations()
    page.click('.search-chips a:has-text("Lâm Đồng")')
    page.wait_for_url(lambda url: "province=68" not in url)

    assert filters_y < results_y  # the panel opens above the results
    assert heads == ["Cà phê"] and sorted(children) == [
        "Cà phê Arabica",
        "Cà phê Robusta",
    ]
    assert abs(count_top) < 5
    assert any("Lâm Đồng" in c for c in chips) and any("Xóa tất cả bộ lọc" in c for c in chips)
    assert len(cards) == 10 and len(tops) == 5  # two cards a row: two columns at 360 px
    assert page.locator("#results .card").count() == 12
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert axe == []
    assert s.csp_errors == []


def test_no_results_page_offers_suggestion_categories_and_clearing(units, open_session):
    CategoryFactory(slug="ca-phe", name_vi="Cà phê", name_en="Coffee")
    ProductFactory(
        cooperative=CooperativeFactory(verified=True, province_id=66),
        name_vi="Cà phê Robusta Đắk Lắk",
    )
    index_everything_safe()
    s = open_session("search-empty")
    s.page.set_viewport_size(PHONE)

    page = s.go("/tim-kiem/?q=ca+phe&province=20")
    axe = s.axe_violations()
    page.screenshot(path=str(SHOTS / "search-no-results-360.png"), full_page=True)

    assert page.locator(".no-results").is_visible()
    assert page.locator('.no-results a:has-text("Xóa tất cả bộ lọc")').count() == 1
    assert page.locator('.no-results a:has-text("Cà phê")').count() >= 1
    page.click('.no-results a:has-text("Xóa tất cả bộ lọc")')
    page.wait_for_url("**q=ca+phe")
    assert page.locator("#results .card").count() == 1
    assert axe == []
