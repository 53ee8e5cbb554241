"""Orders reach their end from the web pages alone, on a 360 px phone with JavaScript on:

- cash on delivery: the buyer fills the cart and checks out, the cooperative confirms, packs,
  ships and marks delivered on its order desk, the buyer presses "I received the goods": COMPLETED;
- bank transfer: shipping before the money arrived shows the warning and changes nothing; the
  cooperative records the transfer (amount + bank reference), then ships without a warning.

axe (WCAG 2.2 AA) runs on each page on the way; screenshots go to test-artifacts/screenshots/."""

import pytest

from orders.models import Order
from tests.factories.catalog import ProductFactory
from tests.factories.market import CooperativeFactory, MembershipFactory, UserFactory
from tests.functional.conftest import SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "mat-khau-123"  # UserFactory's
PHONE = {"width": 360, "height": 740}


def _phone(open_session, name, user=None):
    s = open_session(name)
    s.page.set_viewport_size(PHONE)
    if user is not None:
        s.login(user.email, PASSWORD)
    return s


def _shot(s, label):
    SHOTS.mkdir(parents=True, exist_ok=True)
    s.page.screenshot(path=str(SHOTS / f"trade-{label}-360.png"), full_page=True)


def _world():
    coop = CooperativeFactory(verified=True, trading_name="HTX Vải thiều Lục Ngạn")
    coop.bank_bin, coop.bank_account, coop.bank_account_name = "970405", "1500123456", "HTX VAI"
    coop.phone, coop.email = "0912000111", "lienhe@vai.vn"
    coop.save()
    product = ProductFactory(
        cooperative=coop, name_vi="Vải thiều Lục Ngạn loại 1", slug="vai", price_vnd=45_000
    )
    return {
        "coop": coop,
        "product": product,
        "buyer": UserFactory(email="lan@example.vn", full_name="Nguyễn Thị Lan"),
        "staff": MembershipFactory(cooperative=coop).user,
    }


def _checkout(s, w, method: str, axe: dict) -> Order:
    page = s.go(f"/san-pham/{w['product'].pk}/{w['product'].slug}/")
    axe["product"] = s.axe_violations()
    bar = page.locator(".buy-bar").bounding_box()
    assert bar["y"] + bar["height"] <= PHONE["height"] + 1  # price + "add to cart" in view
    assert page.locator(".buy-bar .bar-price").is_visible()
    page.fill('input[name="quantity"]', "3")
    page.click('form[action$="/gio-hang/them/"] button[type=submit]')
    page.wait_for_url("**/gio-hang/")
    assert page.locator("header .cart-link .count").inner_text() == "1"
    axe["cart"] = s.axe_violations()
    _shot(s, f"{method}-cart")
    page.click('a[href="/thanh-toan/"]')
    page.wait_for_url("**/thanh-toan/")
    page.fill("#id_recipient_phone", "0912345678")
    page.select_option('select[name="province_code"]', "24")
    page.wait_for_selector("#id_ward_code option:nth-child(2)", state="attached")
    page.select_option("#id_ward_code", index=1)
    page.fill("#id_address_line", "12 Lê Lợi")
    page.check(f'input[name="payment_method"][value="{method}"]')
    assert page.locator("text=Phí vận chuyển").count() == 1
    assert page.locator("text=Tổng cộng").count() == 1
    axe["checkout"] = s.axe_violations()
    _shot(s, f"{method}-checkout")
    page.click('form[action="/thanh-toan/"] button:has-text("Đặt hàng")')
    page.wait_for_url("**/thanh-toan/*/")
    axe["placed"] = s.axe_violations()
    _shot(s, f"{method}-placed")
    return Order.objects.get(buyer=w["buyer"], payment_method=method)


def _desk(s, coop, tab):
    page = s.go(f"/htx/{coop.pk}/don-hang/?status={tab}")
    return page


def _press(page, label):
    page.click(f'main button:has-text("{label}")')
    page.wait_for_load_state()


def test_cod_order_goes_from_cart_to_completed_through_pages(units, open_session):
    w = _world()
    axe: dict[str, list] = {}
    buyer = _phone(open_session, "trade-buyer", w["buyer"])
    order = _checkout(buyer, w, "cod", axe)
    coop_s = _phone(open_session, "trade-coop", w["staff"])

    page = _desk(coop_s, w["coop"], "PLACED")
    axe["desk"] = coop_s.axe_violations()
    _shot(coop_s, "cod-desk")
    _press(page, "Xác nhận đơn")
    page = _desk(coop_s, w["coop"], "CONFIRMED")
    _press(page, "Đánh dấu đã đóng gói")
    page = _desk(coop_s, w["coop"], "PACKED")
    page.fill('input[name="carrier"]', "GHN")
    page.fill('input[name="tracking_number"]', "GHN0001")
    _shot(coop_s, "cod-ship")
    _press(page, "Giao cho đơn vị vận chuyển")
    page = _desk(coop_s, w["coop"], "SHIPPED")
    _press(page, "Đánh dấu đã giao tới người mua")

    page = buyer.go(f"/don-hang/{order.code}/")
    axe["order"] = buyer.axe_violations()
    _shot(buyer, "cod-delivered")
    _press(page, "Tôi đã nhận được hàng")
    page.wait_for_selector("text=đơn hàng đã hoàn tất")
    _shot(buyer, "cod-completed")

    order.refresh_from_db()
    assert (order.status, order.carrier, order.tracking_number) == ("COMPLETED", "GHN", "GHN0001")
    # placed, confirmed, packed, shipped, delivered, cash collected (paid), completed
    assert page.locator("ol.timeline li").count() == 7
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert {k: v for k, v in axe.items() if v} == {}
    assert buyer.csp_errors + coop_s.csp_errors == []


def test_bank_transfer_is_marked_received_then_shipped(units, open_session):
    w = _world()
    axe: dict[str, list] = {}
    buyer = _phone(open_session, "trade-bt-buyer", w["buyer"])
    order = _checkout(buyer, w, "bank_transfer", axe)
    page = buyer.page
    assert page.locator("text=Agribank").count() >= 1  # the bank's name, not only its BIN
    assert page.locator("text=Hạn thanh toán").count() == 1
    assert page.locator('a:has-text("Lưu ảnh mã QR")').count() == 1
    assert page.locator("button.copy:visible").count() == 2
    coop_s = _phone(open_session, "trade-bt-coop", w["staff"])

    page = _desk(coop_s, w["coop"], "PLACED")
    page.check('input[name="unpaid_ok"]')  # confirm knowingly before the money arrived
    _press(page, "Xác nhận đơn")
    page = _desk(coop_s, w["coop"], "CONFIRMED")
    _press(page, "Đánh dấu đã đóng gói")
    page = _desk(coop_s, w["coop"], "PACKED")
    assert page.locator("text=Chưa nhận được tiền.").count() == 1
    page.fill('input[name="carrier"]', "Viettel Post")
    page.fill('input[name="tracking_number"]', "VTP0002")
    _press(page, "Giao cho đơn vị vận chuyển")
    page.wait_for_selector(".messages li.warning")
    _shot(coop_s, "bt-warning")
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("PACKED", "UNPAID")

    page.click('summary:has-text("Ghi nhận đã nhận tiền chuyển khoản")')
    page.fill('input[name="bank_reference"]', "FT26340123")
    axe["desk"] = coop_s.axe_violations()
    _shot(coop_s, "bt-record-payment")
    _press(page, "Ghi nhận thanh toán")
    page = _desk(coop_s, w["coop"], "PACKED")
    assert page.locator("text=Chưa nhận được tiền.").count() == 0
    page.fill('input[name="carrier"]', "Viettel Post")
    page.fill('input[name="tracking_number"]', "VTP0002")
    _press(page, "Giao cho đơn vị vận chuyển")
    _shot(coop_s, "bt-shipped")

    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("SHIPPED", "PAID")
    assert {k: v for k, v in axe.items() if v} == {}
    assert buyer.csp_errors + coop_s.csp_errors == []


def test_import_with_photos_then_bulk_publish_makes_products_purchasable(
    units, open_session, tmp_path
):
    import io
    import zipfile

    from tests.factories.catalog import CategoryFactory, jpeg_bytes

    CategoryFactory(slug="gao-thu-nghiem", name_vi="Gạo thử nghiệm", name_en="Test rice")
    coop = CooperativeFactory(verified=True, trading_name="HTX Lúa gạo Hòa Tú")
    staff = MembershipFactory(cooperative=coop).user
    sheet = tmp_path / "san-pham.csv"
    sheet.write_text(
        "Mã SKU,Tên sản phẩm,Danh mục,Đơn vị,Giá (VND),Tồn kho\n"
        "ST25-5KG,Gạo ST25 túi 5 kg,Gạo thử nghiệm,bao,180000,40\n"
        "ST25-25KG,Gạo ST25 bao 25 kg,Gạo thử nghiệm,bao,820000,12\n",
        encoding="utf-8",
    )
    photos = tmp_path / "anh.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("ST25-5KG.jpg", jpeg_bytes(size=(640, 480)))
        z.writestr("ST25-25KG.jpg", jpeg_bytes(size=(640, 480), color=(200, 190, 150)))
    photos.write_bytes(buffer.getvalue())
    axe: dict[str, list] = {}
    s = _phone(open_session, "import", staff)

    page = s.go(f"/htx/{coop.pk}/nhap/")
    axe["import"] = s.axe_violations()
    _shot(s, "import-page")
    page.set_input_files('input[name="file"]', str(sheet))
    _press(page, "Kiểm tra tệp")
    page.wait_for_selector('button:has-text("Nhập ngay")')
    _press(page, "Nhập ngay")
    page.wait_for_selector("text=Đã tạo 2, đã cập nhật 0.")
    page = s.go(f"/htx/{coop.pk}/nhap/")
    page.set_input_files('input[name="photos"]', str(photos))
    _press(page, "Tải ảnh lên")
    page.wait_for_selector("text=Đã thêm 2 ảnh cho 2 sản phẩm.")
    page.check('input[aria-label="Chọn Gạo ST25 túi 5 kg"]')
    page.check('input[aria-label="Chọn Gạo ST25 bao 25 kg"]')
    page.select_option("#bulk-action", "publish")
    axe["products"] = s.axe_violations()
    _shot(s, "import-bulk")
    _press(page, "Áp dụng cho các sản phẩm đã chọn")
    page.wait_for_selector("text=Đã cập nhật 2 sản phẩm.")
    _shot(s, "import-published")

    from catalog.models import Product

    products = list(Product.objects.filter(cooperative=coop).order_by("sku"))
    assert [(p.sku, p.status, p.family.images.count()) for p in products] == [
        ("ST25-25KG", "ACTIVE", 1),
        ("ST25-5KG", "ACTIVE", 1),
    ]
    buyer = _phone(open_session, "import-buyer")
    page = buyer.go(f"/san-pham/{products[1].pk}/{products[1].slug}/")
    page.click('form[action$="/gio-hang/them/"] button[type=submit]')
    page.wait_for_url("**/gio-hang/")
    assert page.locator('main a:has-text("Gạo ST25 túi 5 kg")').count() == 1  # in the cart
    assert page.locator("header .cart-link .count").inner_text() == "1"
    assert {k: v for k, v in axe.items() if v} == {}
    assert s.csp_errors + buyer.csp_errors == []
