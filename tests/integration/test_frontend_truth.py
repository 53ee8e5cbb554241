"""What the screens say must be true: quantities, availability, units in English, our own
translations, the account's language after login, provinces in Vietnamese order, error messages,
signed in after sign-up, wording."""

import datetime
import re
from decimal import Decimal

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from catalog.models import Product
from frontend.templatetags.market_ui import qty, qty_unit
from market.models import User
from market.textsort import vietnamese_sort_key
from tests.factories.catalog import CategoryFactory, ProductFactory
from tests.factories.market import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "mat-khau-123"  # UserFactory's


def _page(client, product):
    return client.get(reverse("frontend:product", args=[product.pk, product.slug])).content.decode()


@pytest.mark.parametrize(
    "lang,value,unit,expected",
    [
        ("vi", Decimal("10000.000"), None, "10.000"),
        ("en", Decimal("10000.000"), None, "10,000"),
        ("vi", Decimal("10.000"), "KG", "10 kg"),
        ("vi", Decimal("2.500"), "TAN", "2,5 tấn"),
        ("en", Decimal("2.500"), "TAN", "2.5 tonnes"),
        ("vi", Decimal("1"), "BAO", "1 bao"),
        ("en", Decimal("1"), "BAO", "1 sack"),
        ("en", Decimal("3"), "THUNG", "3 cartons"),
    ],
)
def test_quantities_read_as_numbers_of_the_page_language(lang, value, unit, expected):
    with translation.override(lang):
        shown = qty_unit(value, unit) if unit else qty(value)

    assert shown == expected


def test_english_pages_show_english_unit_names():
    product = ProductFactory(unit="BAO", min_order_qty=Decimal("2"), stock_qty=Decimal("40"))
    client = Client()
    client.post(reverse("frontend:language"), {"language": "en", "next": "/"})

    html = _page(client, product)

    assert "sack" in html
    assert not re.search(r"\bbao\b", html)


def test_zero_stock_never_says_in_stock():
    product = ProductFactory(stock_qty=Decimal("0"), availability="IN_STOCK")

    html = _page(Client(), product)

    assert "Còn hàng" not in html
    assert "Hết hàng" in html


def test_availability_follows_stock_and_harvest_window():
    stocked = ProductFactory(stock_qty=Decimal("12.5"), unit="KG")
    start = datetime.date.today() + datetime.timedelta(days=30)
    preorder = ProductFactory(
        stock_qty=Decimal("0"),
        availability="PRE_ORDER",
        harvest_start=start,
        harvest_end=start + datetime.timedelta(days=60),
    )

    assert "Còn hàng: 12,5 kg" in _page(Client(), stocked)
    assert f"Đặt trước: thu hoạch từ {start:%d/%m/%Y}" in _page(Client(), preorder)


def test_product_page_shows_export_data_when_it_has_some():
    export = ProductFactory(
        hs_code="0901.11",
        incoterms=["FOB", "CIF"],
        port_of_loading="Cát Lái",
        packaging="Bao PP 60 kg",
        monthly_capacity=Decimal("20"),
        unit="TAN",
    )
    plain = ProductFactory()

    html = _page(Client(), export)

    assert "Thông tin xuất khẩu" in html
    for text in ("0901.11", "FOB, CIF", "Cát Lái", "Bao PP 60 kg", "20 tấn mỗi tháng"):
        assert text in html
    assert "Thông tin xuất khẩu" not in _page(Client(), plain)


def test_product_page_has_the_sticky_buy_bar_and_says_preparation_time():
    product = ProductFactory(lead_time_days=3)

    html = _page(Client(), product)

    assert 'class="row buy-bar"' in html
    assert "Thời gian chuẩn bị hàng" in html and "Giao trong" not in html


def test_our_translations_win_over_djangos():
    ours = {}  # msgid -> our Vietnamese, the first of our catalogues winning (LOCALE_PATHS order)
    for path in settings.LOCALE_PATHS:
        po = path / "vi" / "LC_MESSAGES" / "django.po"
        if not po.exists():
            continue
        for m in read_po(po.open("rb"), locale="vi"):
            if m.id and isinstance(m.id, str) and m.string and not m.context and not m.fuzzy:
                ours.setdefault(m.id, m.string)

    with translation.override("vi"):
        shown = {msgid: translation.gettext(msgid) for msgid in ours}

    assert shown["Log out"] == "Đăng xuất"  # Django's admin says "Thoát"
    assert {m: (shown[m], ours[m]) for m in ours if shown[m] != ours[m]} == {}


def test_after_login_the_language_follows_the_account_not_the_browser():
    UserFactory(email="anna@example.de", language="en")
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")

    client.post(reverse("frontend:login"), {"username": "anna@example.de", "password": PASSWORD})
    html = client.get("/").content.decode()

    assert '<html lang="en">' in html


def test_the_language_switch_is_remembered_by_the_account():
    user = UserFactory(language="vi")
    client = Client()
    client.force_login(user)

    response = client.post(reverse("frontend:language"), {"language": "en", "next": "/"})

    user.refresh_from_db()
    assert response.status_code == 302 and user.language == "en"
    assert '<html lang="en">' in client.get("/").content.decode()


def test_provinces_are_listed_in_vietnamese_alphabetical_order():
    user = UserFactory()
    client = Client()
    client.force_login(user)
    client.post(reverse("frontend:cart_add"), {"product": ProductFactory().pk, "quantity": "1"})

    html = client.get(reverse("frontend:checkout")).content.decode()
    select = html[html.index('name="province_code"') :]
    names = re.findall(
        r'<option value="\d+"[^>]*>([^<]+)</option>', select[: select.index("</select>")]
    )

    assert len(names) == 34
    assert names == sorted(names, key=vietnamese_sort_key)
    assert names.index("Cà Mau") < names.index("Cao Bằng") < names.index("Thành phố Cần Thơ")
    assert names.index("Thành phố Cần Thơ") < names.index("Thành phố Đà Nẵng")
    assert names.index("Đồng Tháp") < names.index("Gia Lai")  # Đ after D, before G


def _ship_to(province_code: int, times: int) -> None:
    from market.models import Ward
    from tests.factories.orders import place, vn_address

    ward = Ward.objects.filter(province_id=province_code).order_by("code").first()
    for _ in range(times):
        place(
            UserFactory(),
            (ProductFactory(), 1),
            address=vn_address(province_code=province_code, ward_code=ward.code),
        )


def test_the_provinces_buyers_ship_to_most_come_first_then_every_province():
    _ship_to(79, 3)  # Thành phố Hồ Chí Minh
    _ship_to(1, 2)  # Thành phố Hà Nội
    _ship_to(66, 1)  # Đắk Lắk
    user = UserFactory()
    client = Client()
    client.force_login(user)
    client.post(reverse("frontend:cart_add"), {"product": ProductFactory().pk, "quantity": "1"})

    html = client.get(reverse("frontend:checkout")).content.decode()
    select = html[html.index('name="province_code"') :]
    select = select[: select.index("</select>")]
    groups = dict(re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select, re.S))
    names = {
        label: re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', body)
        for label, body in groups.items()
    }

    assert list(names) == ["Được chọn nhiều nhất", "Tất cả tỉnh, thành phố"]
    assert names["Được chọn nhiều nhất"] == [
        "Thành phố Hồ Chí Minh",
        "Thành phố Hà Nội",
        "Đắk Lắk",
    ]
    everything = names["Tất cả tỉnh, thành phố"]
    assert len(everything) == 34 and everything == sorted(everything, key=vietnamese_sort_key)
    assert select.count("selected") <= 1  # a saved province is chosen once, not in both groups


def test_a_wrong_password_gets_our_own_message_true_about_case():
    UserFactory(email="lan@example.vn")

    response = Client().post(
        reverse("frontend:login"), {"username": "LAN@example.vn", "password": "MAT-KHAU-123"}
    )

    html = response.content.decode()
    assert "Mật khẩu phân biệt chữ hoa và chữ thường" in html
    assert "cả hai trường" not in html  # Django's "both fields may be case-sensitive"


def test_after_sign_up_the_user_is_logged_in():
    client = Client()

    response = client.post(
        reverse("frontend:signup"),
        {"email": "moi@example.vn", "full_name": "Người Mới", "password": "mot-mat-khau-dai"},
        follow=True,
    )

    user = User.objects.get(email="moi@example.vn")
    assert response.wsgi_request.user == user
    assert "Tài khoản đã sẵn sàng" in response.content.decode()


def test_sign_up_with_a_taken_address_logs_nobody_in_and_changes_nothing():
    existing = UserFactory(email="lan@example.vn")
    client = Client()

    response = client.post(
        reverse("frontend:signup"),
        {"email": "lan@example.vn", "full_name": "X", "password": "khac-mat-khau-1"},
        follow=True,
    )

    existing.refresh_from_db()
    assert not response.wsgi_request.user.is_authenticated
    assert existing.check_password(PASSWORD) and existing.full_name != "X"


def test_the_product_form_asks_for_stock_and_refuses_without_it():
    staff = MembershipFactory().user
    coop = staff.memberships.get().cooperative
    client = Client()
    client.force_login(staff)
    url = reverse("frontend:coop_product_create", args=[coop.pk])
    data = {
        "sku": "A-1",
        "name_vi": "Gạo ST25",
        "category_id": CategoryFactory().pk,
        "unit": "KG",
        "price_vnd": "30000",
        "min_order_qty": "1",
        "order_step": "1",
        "availability": "IN_STOCK",
        "lead_time_days": "2",
    }

    page = client.get(url).content.decode()
    refused = client.post(url, data)

    assert 'name="stock_qty"' in page and "Tồn kho" in page
    assert refused.status_code == 200
    assert not Product.objects.filter(sku="A-1").exists()


def test_search_wording_says_show_only_in_stock():
    html = Client().get(reverse("frontend:search"), {"q": "ca phe"}).content.decode()

    assert "Chỉ hiện hàng còn" in html


def test_publishing_an_incomplete_product_lists_what_is_missing_in_words():
    from tests.factories.catalog import DraftProductFactory
    from tests.factories.market import CooperativeFactory

    staff = MembershipFactory(cooperative=CooperativeFactory(verified=True)).user
    coop = staff.memberships.get().cooperative
    product = DraftProductFactory(cooperative=coop, price_vnd=None)
    client = Client()
    client.force_login(staff)

    response = client.post(
        reverse("frontend:coop_product_publish", args=[coop.pk, product.pk]), follow=True
    )

    text = " ".join(str(m) for m in response.context["messages"])
    product.refresh_from_db()
    assert product.status == "DRAFT"
    assert "Hãy đặt giá." in text and "Hãy thêm ít nhất một ảnh." in text
    for key in ("price_vnd", "images", "category", "unit:"):
        assert key not in text


def test_the_next_checkout_offers_the_saved_address_and_phone():
    from tests.factories.orders import place_order, vn_address

    buyer = UserFactory(phone="")
    address = vn_address(recipient_phone="0987000111", address_line="45 Trần Phú")
    place_order(buyer, ProductFactory(), address=address)
    client = Client()
    client.force_login(buyer)
    client.post(reverse("frontend:cart_add"), {"product": ProductFactory().pk, "quantity": "1"})

    html = client.get(reverse("frontend:checkout")).content.decode()

    assert 'value="0987000111"' in html
    assert 'value="45 Trần Phú"' in html
    assert f'<option value="{address.ward_code}" selected>' in html
