"""A cooperative director on a 360 px phone, in Vietnamese, with JavaScript: signs up from the
"Bạn là hợp tác xã?" link, registers the cooperative (Lạng Sơn, a ward picked through htmx),
uploads the business registration certificate, sends it for verification; an admin verifies it.
axe (WCAG 2.2 AA) runs on the register page; the CSP must never fire; screenshots at 360 px.
(The search page on a phone is tested in test_frontend_phone.py.)"""

import pytest

from market.models import Cooperative, CooperativeDocument, Membership, User
from tests.factories.market import UserFactory
from tests.functional.conftest import SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PHONE = {"width": 360, "height": 740}
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _phone(open_session, name):
    s = open_session(name)
    s.page.set_viewport_size(PHONE)
    return s


def _shot(s, label):
    SHOTS.mkdir(parents=True, exist_ok=True)
    s.page.screenshot(path=str(SHOTS / f"{s.name}-{label}-360.png"), full_page=True)


def _sign_up(s):
    page = s.go("/signup/")
    page.click("text=Bạn là hợp tác xã? Đăng ký bán hàng")
    page.wait_for_url("**/signup/?next=/htx/dang-ky/")
    page.fill("#id_email", "giamdoc@htx-hoi.vn")
    page.fill("#id_full_name", "Hoàng Văn Sơn")
    page.fill("#id_password", "hoi-van-quan-2025")
    page.click("main button[type=submit]")
    page.wait_for_url("**/htx/dang-ky/")  # signed in at once, on to where "next" pointed


def _register(s, axe):
    page = s.page
    assert page.locator("h1").inner_text() == "Đăng ký hợp tác xã"
    axe["register"] = s.axe_violations()
    _shot(s, "register-empty")
    page.fill("#id_legal_name", "Hợp tác xã Hồi Văn Quan")
    page.fill("#id_registration_number", "14070001")
    page.fill("#id_tax_code", "0100109106")
    page.fill("#id_representative", "Hoàng Văn Sơn")
    page.select_option("#id_province_code", label="Lạng Sơn")
    page.wait_for_selector(
        "#id_ward_code option:nth-child(2)", state="attached"
    )  # htmx brought the wards
    page.select_option("#id_ward_code", index=1)
    page.fill("#id_address", "Thôn Bản Lải")
    page.fill("#id_phone", "0912 345 678")
    page.select_option("#id_bank_bin", "970405")
    page.fill("#id_bank_account", "8888 1234 5678")
    page.fill("#id_bank_account_name", "HTX HOI VAN QUAN")
    _shot(s, "register-filled")
    page.click('button:has-text("Đăng ký hợp tác xã")')
    page.wait_for_url("**/htx/*/")
    assert page.locator("text=Tiếp theo: tải lên giấy chứng nhận đăng ký").count() == 1
    axe["dashboard"] = s.axe_violations()
    _shot(s, "dashboard")


def _upload_and_submit(s, coop):
    page = s.page
    page.click('a:has-text("Tải lên giấy chứng nhận đăng ký")')
    page.wait_for_url(f"**/htx/{coop.pk}/giay-to/")
    page.select_option("#id_kind", CooperativeDocument.Kind.BUSINESS_REGISTRATION)
    page.set_input_files(
        "#id_file",
        files=[{"name": "dang-ky-htx.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.click('main button:has-text("Tải lên")')
    page.wait_for_selector("text=dang-ky-htx.pdf")
    s.go(f"/htx/{coop.pk}/")
    page.click('button:has-text("Gửi xác minh")')
    page.wait_for_selector(".messages li")
    _shot(s, "submitted")


def test_director_registers_on_a_phone_and_admin_verifies(units, open_session):
    UserFactory(email="admin@example.vn", platform_admin=True)
    axe: dict[str, list] = {}
    director = _phone(open_session, "register")

    _sign_up(director)
    _register(director, axe)
    coop = Cooperative.objects.get()
    owner = User.objects.get(email="giamdoc@htx-hoi.vn")
    _upload_and_submit(director, coop)

    coop.refresh_from_db()
    assert (coop.status, coop.province.name, coop.ward.province_id, coop.bank_bin) == (
        Cooperative.Status.SUBMITTED,
        "Lạng Sơn",
        20,
        "970405",
    )
    assert list(Membership.objects.values_list("user_id", "role")) == [
        (owner.pk, Membership.Role.OWNER)
    ]
    assert (
        CooperativeDocument.objects.filter(cooperative=coop, kind="BUSINESS_REGISTRATION").count()
        == 1
    )

    admin = _phone(open_session, "register-admin")
    admin.login("admin@example.vn", "mat-khau-123")
    page = admin.go("/quan-tri/")
    page.click('a:has-text("Hợp tác xã Hồi Văn Quan")')
    _shot(admin, "review")
    page.click('button:has-text("Phê duyệt")')
    page.wait_for_selector("text=Đã xác minh")

    coop.refresh_from_db()
    assert coop.status == Cooperative.Status.VERIFIED
    assert {k: v for k, v in axe.items() if v} == {}
    assert director.csp_errors + admin.csp_errors == []
