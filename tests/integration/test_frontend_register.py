""" "Register your cooperative" through plain form posts (the no-JS path): the happy path, each
refused input with its Vietnamese message and no row written, former province names, the ward
picker, and the links that lead there."""

import pytest
from django.test import Client
from django.urls import reverse

from market.models import Cooperative, Membership, Province, Ward
from tests.factories.market import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
LANG_SON = 20


def _client(user=None):
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    client.force_login(user or UserFactory())
    return client


def _ward(province_code=LANG_SON) -> Ward:
    return Ward.objects.filter(province_id=province_code).order_by("code").first()


def _form(**changes) -> dict:
    ward = _ward()
    data = {
        "kind": "HTX",
        "legal_name": "Hợp tác xã Hồi Văn Quan",
        "trading_name": "HTX Hồi Văn Quan",
        "registration_number": "14070001",
        "tax_code": "0100109106",
        "province_code": str(LANG_SON),
        "province_name": "",
        "ward_code": str(ward.code),
        "address": "Thôn Bản Lải",
        "phone": "0912 345 678",
        "email": "htx@example.vn",
        "representative": "Hoàng Văn Sơn",
        "sector": "CROPS",
        "is_agricultural": "on",
        "member_count": "46",
        "year_founded": "2018",
        "description_vi": "Hoa hồi khô.",
        "description_en": "Dried star anise.",
        "bank_bin": "970405",
        "bank_account": "1234 5678 9012",
        "bank_account_name": "HTX HOI VAN QUAN",
    }
    data.update(changes)
    return data


def _rows():
    return Cooperative.objects.count(), Membership.objects.count()


def test_anonymous_is_sent_to_login_with_next():
    response = Client().get(reverse("frontend:coop_register"))

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/htx/dang-ky/"


def test_page_is_in_vietnamese_with_mobile_inputs():
    response = _client().get(reverse("frontend:coop_register"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Đăng ký hợp tác xã</h1>" in html
    assert 'name="tax_code" inputmode="numeric"' in html
    assert 'name="registration_number" inputmode="numeric"' in html
    assert 'name="bank_account" inputmode="numeric"' in html
    assert 'type="tel"' in html and 'autocomplete="tel"' in html
    assert '<option value="970415">VietinBank (970415)</option>' in html
    assert html.count('<option value="97') == 10
    assert (
        'name="province_code"' in html
        and html.count(
            "<option", html.index('name="province_code"'), html.index('name="province_name"')
        )
        == 35
    )


def test_register_creates_a_draft_cooperative_owned_by_the_user():
    user = UserFactory()
    client = _client(user)

    response = client.post(reverse("frontend:coop_register"), _form(), follow=True)

    coop = Cooperative.objects.get()
    assert response.redirect_chain == [(f"/htx/{coop.pk}/", 302)]
    assert (coop.status, coop.legal_name, coop.tax_code, coop.province_id) == (
        "DRAFT",
        "Hợp tác xã Hồi Văn Quan",
        "0100109106",
        LANG_SON,
    )
    assert (coop.ward_id, coop.phone, coop.bank_bin, coop.bank_account) == (
        _ward().code,
        "0912345678",
        "970405",
        "123456789012",
    )
    assert (coop.member_count, coop.year_founded, coop.is_agricultural) == (46, 2018, True)
    assert list(Membership.objects.values_list("user_id", "cooperative_id", "role")) == [
        (user.pk, coop.pk, "OWNER")
    ]
    html = response.content.decode()
    assert "Tiếp theo: tải lên giấy chứng nhận đăng ký" in html
    assert "Bắt đầu: đã xong 1 / 4 bước" in html  # the profile step; documents come next


def test_invalid_tax_code_is_refused_next_to_the_field():
    client = _client()

    response = client.post(reverse("frontend:coop_register"), _form(tax_code="0100109107"))

    assert response.status_code == 200
    assert "Mã số thuế (MST) sai chữ số kiểm tra." in response.content.decode()
    assert 'aria-describedby="id_tax_code_error id_tax_code_helptext"' in response.content.decode()
    assert _rows() == (0, 0)


def test_ward_of_another_province_is_refused():
    other = _ward(province_code=1)
    client = _client()

    response = client.post(reverse("frontend:coop_register"), _form(ward_code=str(other.code)))

    html = response.content.decode()
    assert response.status_code == 200
    assert f"{other.name} thuộc {other.province.name}, không thuộc Lạng Sơn." in html
    assert _rows() == (0, 0)


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("legal_name", "Nhập tên pháp lý của hợp tác xã."),
        ("registration_number", "Nhập số đăng ký trên giấy chứng nhận."),
        ("tax_code", "Nhập mã số thuế (MST)."),
        ("province_code", "Chọn tỉnh/thành phố nơi hợp tác xã đăng ký."),
        ("phone", "Nhập số điện thoại để người mua liên hệ."),
        ("representative", "Nhập tên người đại diện theo pháp luật."),
    ],
)
def test_missing_required_field_is_named(field, message):
    client = _client()

    response = client.post(reverse("frontend:coop_register"), _form(**{field: ""}))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'<ul class="errorlist" id="id_{field}_error"><li>{message}</li></ul>' in html
    assert _rows() == (0, 0)


def test_invalid_phone_and_duplicate_tax_code_are_refused():
    client = _client()
    client.post(reverse("frontend:coop_register"), _form())

    bad_phone = client.post(
        reverse("frontend:coop_register"), _form(registration_number="99", phone="12345")
    )
    duplicate = client.post(reverse("frontend:coop_register"), _form(registration_number="99"))

    assert "Hãy nhập số điện thoại Việt Nam, ví dụ 0912 345 678" in bad_phone.content.decode()
    assert "Đã có hợp tác xã với mã số thuế này." in duplicate.content.decode()
    assert _rows() == (1, 1)


def test_former_province_name_is_mapped_to_the_current_province():
    bac_ninh = Province.objects.get(name__endswith="Bắc Ninh")
    ward = _ward(province_code=bac_ninh.code)
    client = _client()

    response = client.post(
        reverse("frontend:coop_register"),
        _form(province_code="", province_name="Bắc Giang", ward_code=str(ward.code)),
    )

    assert response.status_code == 302
    coop = Cooperative.objects.get()
    assert (coop.province_id, coop.ward_id) == (bac_ninh.code, ward.code)


def test_unknown_typed_province_is_refused_next_to_the_name():
    client = _client()

    response = client.post(
        reverse("frontend:coop_register"),
        _form(province_code="", province_name="Xứ Đoài", ward_code=""),
    )

    assert (
        '<ul class="errorlist" id="id_province_name_error"><li>Không tìm thấy tỉnh, thành phố: Xứ Đoài.</li></ul>'
        in (response.content.decode())
    )
    assert _rows() == (0, 0)


def test_show_wards_without_js_keeps_what_was_typed_and_stores_nothing():
    client = _client()

    response = client.post(
        reverse("frontend:coop_register"),
        _form(province_name="Bắc Giang", province_code="", ward_code="", show_wards="1"),
    )

    html = response.content.decode()
    bac_ninh_ward = _ward(province_code=Province.objects.get(name__endswith="Bắc Ninh").code)
    assert f'<option value="{bac_ninh_ward.code}">' in html
    assert 'value="Hợp tác xã Hồi Văn Quan"' in html
    assert "errorlist" not in html
    assert _rows() == (0, 0)


def test_ward_picker_partial_follows_chosen_or_typed_province():
    client = _client()

    by_code = client.get(reverse("frontend:coop_register_wards"), {"province_code": LANG_SON})
    by_name = client.get(
        reverse("frontend:coop_register_wards"), {"province_code": "", "province_name": "Lạng Sơn"}
    )

    expected = Ward.objects.filter(province_id=LANG_SON).count() + 1
    assert by_code.content.decode().count("<option") == expected
    assert by_name.content.decode() == by_code.content.decode()


def test_links_lead_to_registration():
    user = UserFactory()
    client = _client(user)

    home = client.get(reverse("frontend:coop_home"))
    signup = Client(HTTP_ACCEPT_LANGUAGE="vi").get(reverse("frontend:signup"))

    assert 'href="/htx/dang-ky/"' in home.content.decode()
    assert "Đăng ký hợp tác xã" in home.content.decode()
    assert 'href="/signup/?next=/htx/dang-ky/"' in signup.content.decode()
    assert "Bạn là hợp tác xã? Đăng ký bán hàng" in signup.content.decode()


def test_member_sees_my_cooperative_instead_of_register_link():
    member = MembershipFactory().user

    html = _client(member).get(reverse("frontend:home")).content.decode()

    assert 'href="/htx/dang-ky/"' not in html


def test_signup_signs_in_and_continues_to_next():
    response = Client().post(
        reverse("frontend:signup") + "?next=/htx/dang-ky/",
        {"email": "moi@example.vn", "full_name": "Hoàng Văn Sơn", "password": "mat-khau-123"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/htx/dang-ky/"


def test_signup_ignores_an_offsite_next():
    response = Client().post(
        reverse("frontend:signup") + "?next=https://evil.example/",
        {"email": "moi@example.vn", "full_name": "A", "password": "mat-khau-123"},
    )

    assert response["Location"] == "/"
