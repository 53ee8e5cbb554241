"""Orders reach their end from the pages alone: the cooperative's order desk (every move, the
unpaid bank-transfer warning, "transfer received" with amount and reference), the buyer's moves
(cancel before confirmation, "I received the goods", contact), documents linked from both, the
checkout's shipping per cooperative, and the bank-transfer details after placing."""

import pytest
from django.test import Client
from django.urls import reverse

from market.reference.banks import bank_name
from orders.models import Order, OrderEvent
from tests.factories.catalog import ProductFactory
from tests.factories.market import MembershipFactory, UserFactory
from tests.factories.orders import ShippingRuleFactory, place_order

pytestmark = pytest.mark.django_db
S = Order.Status


def _client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def cod_order():
    product = ProductFactory(price_vnd=100_000, stock_qty=50)
    staff = MembershipFactory(cooperative=product.cooperative).user
    buyer = UserFactory()
    order = place_order(buyer, product, qty=2, payment_method="cod")
    return order, staff, buyer


def _move(client, order, to, **extra):
    url = reverse("frontend:coop_order_move", args=[order.cooperative_id, order.code])
    return client.post(url, {"to": to, "tab": order.status, **extra}, follow=True)


def _status(order):
    return Order.objects.values_list("status", flat=True).get(pk=order.pk)


def test_desk_walks_a_cod_order_to_delivered_and_the_buyer_completes_it(cod_order):
    order, staff, buyer = cod_order
    desk, me = _client(staff), _client(buyer)

    _move(desk, order, S.CONFIRMED)
    _move(desk, order, S.PACKED)
    _move(desk, order, S.SHIPPED, carrier="GHN", tracking_number="GHN123")
    _move(desk, order, S.DELIVERED)
    page = me.get(reverse("frontend:order_detail", args=[order.code])).content.decode()
    done = me.post(reverse("frontend:order_received", args=[order.code]), follow=True)

    order.refresh_from_db()
    assert (order.status, order.carrier, order.tracking_number) == (S.COMPLETED, "GHN", "GHN123")
    assert "Tôi đã nhận được hàng" in page
    assert "đơn hàng tự hoàn tất 7 ngày sau khi giao" in page  # ORDER_AUTO_COMPLETE_DAYS
    assert done.status_code == 200 and "Hoàn tất" in done.content.decode()
    moves = list(
        OrderEvent.objects.filter(order=order, kind="STATUS").values_list("to_status", flat=True)
    )
    assert moves[-5:] == [S.CONFIRMED, S.PACKED, S.SHIPPED, S.DELIVERED, S.COMPLETED]


def test_desk_offers_the_moves_of_each_state_and_links_documents(cod_order):
    order, staff, _ = cod_order
    desk = _client(staff)
    url = reverse("frontend:coop_orders", args=[order.cooperative_id])

    placed = desk.get(url, {"status": "PLACED"}).content.decode()
    _move(desk, order, S.CONFIRMED)
    confirmed = desk.get(url, {"status": "CONFIRMED"}).content.decode()

    assert "Xác nhận đơn" in placed and "Từ chối đơn" in placed
    assert "Đánh dấu đã đóng gói" in confirmed and "Hủy đơn" in confirmed
    assert f"/api/v1/orders/{order.code}/packing-slip.pdf" in placed
    assert f"/api/v1/orders/{order.code}/invoice.pdf" in placed


def test_refuse_and_cancel_need_a_reason_and_change_nothing_without_one(cod_order):
    order, staff, buyer = cod_order
    desk = _client(staff)

    refused_blank = _move(desk, order, S.REFUSED, reason="  ")

    assert _status(order) == S.PLACED
    assert "Cần nêu lý do" in refused_blank.content.decode()

    _move(desk, order, S.CONFIRMED)
    _move(desk, order, S.CANCELLED, reason="")
    assert _status(order) == S.CONFIRMED

    _move(desk, order, S.CANCELLED, reason="Hết hàng do mưa bão")
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (S.CANCELLED, "Hết hàng do mưa bão")
    page = _client(buyer).get(reverse("frontend:order_detail", args=[order.code]))
    assert "Hết hàng do mưa bão" in page.content.decode()


def test_refuse_with_reason(cod_order):
    order, staff, _ = cod_order

    _move(_client(staff), order, S.REFUSED, reason="Không giao được tới xã này")

    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (S.REFUSED, "Không giao được tới xã này")


def test_ship_needs_carrier_and_tracking(cod_order):
    order, staff, _ = cod_order
    desk = _client(staff)
    _move(desk, order, S.CONFIRMED)
    _move(desk, order, S.PACKED)

    _move(desk, order, S.SHIPPED, carrier="GHN", tracking_number="")

    assert _status(order) == S.PACKED


def test_a_stranger_cannot_move_an_order_and_nothing_changes(cod_order):
    order, _, buyer = cod_order
    other_staff = MembershipFactory().user

    own = _move(_client(buyer), order, S.CONFIRMED)
    other = _client(other_staff).post(
        reverse("frontend:coop_order_move", args=[order.cooperative_id, order.code]),
        {"to": S.CONFIRMED},
    )

    assert own.status_code == 404 and other.status_code == 404
    assert _status(order) == S.PLACED


def test_buyer_cancels_before_confirmation_only(cod_order):
    order, staff, buyer = cod_order
    me = _client(buyer)
    page = me.get(reverse("frontend:order_detail", args=[order.code])).content.decode()

    me.post(reverse("frontend:order_cancel", args=[order.code]), {"reason": "Đặt nhầm"})

    assert "Hủy đơn" in page
    assert _status(order) == S.CANCELLED

    second = place_order(buyer, ProductFactory(cooperative=order.cooperative), payment_method="cod")
    _move(_client(staff), second, S.CONFIRMED)
    page = me.get(reverse("frontend:order_detail", args=[second.code])).content.decode()
    me.post(reverse("frontend:order_cancel", args=[second.code]))

    assert reverse("frontend:order_cancel", args=[second.code]) not in page
    assert _status(second) == S.CONFIRMED


def test_buyer_cannot_complete_before_delivery_nor_someone_elses_order(cod_order):
    order, _, buyer = cod_order

    early = _client(buyer).post(reverse("frontend:order_received", args=[order.code]), follow=True)
    stranger = _client(UserFactory()).post(reverse("frontend:order_received", args=[order.code]))

    assert _status(order) == S.PLACED
    assert early.status_code == 200 and stranger.status_code == 404


def test_buyer_page_has_contact_and_invoice(cod_order):
    order, _, buyer = cod_order
    coop = order.cooperative
    coop.phone, coop.email = "0912345678", "lienhe@htx-a.vn"
    coop.save()

    html = _client(buyer).get(reverse("frontend:order_detail", args=[order.code])).content.decode()

    assert f'href="tel:{coop.phone}"' in html
    assert f"mailto:{coop.email}" in html
    assert f"/api/v1/orders/{order.code}/invoice.pdf" in html


@pytest.fixture
def bank_order():
    product = ProductFactory(price_vnd=100_000, stock_qty=50)
    coop = product.cooperative
    coop.bank_bin, coop.bank_account, coop.bank_account_name = "970436", "0071000123456", "HTX A"
    coop.save()
    staff = MembershipFactory(cooperative=coop).user
    buyer = UserFactory()
    order = place_order(buyer, product, qty=1, payment_method="bank_transfer")
    return order, staff, buyer


def test_unpaid_bank_transfer_warns_before_confirming_and_shipping(bank_order):
    order, staff, _ = bank_order
    desk = _client(staff)

    card = desk.get(reverse("frontend:coop_orders", args=[order.cooperative_id])).content.decode()
    blocked = _move(desk, order, S.CONFIRMED)

    assert "Chưa nhận được tiền" in card
    assert "chưa nhận được tiền" in blocked.content.decode().lower()
    assert _status(order) == S.PLACED

    _move(desk, order, S.CONFIRMED, unpaid_ok="1")
    _move(desk, order, S.PACKED)
    warned = _move(desk, order, S.SHIPPED, carrier="GHN", tracking_number="X1")

    assert "chưa nhận được tiền" in warned.content.decode().lower()
    assert _status(order) == S.PACKED


def test_mark_transfer_received_with_amount_and_reference(bank_order):
    order, staff, _ = bank_order
    desk = _client(staff)
    url = reverse("frontend:coop_order_paid", args=[order.cooperative_id, order.code])

    wrong = desk.post(url, {"amount_vnd": order.total_vnd - 1000, "bank_reference": "FT1"})
    missing = desk.post(url, {"amount_vnd": order.total_vnd, "bank_reference": ""})
    order.refresh_from_db()
    assert order.payment_status == "UNPAID"
    assert wrong.status_code == missing.status_code == 302

    desk.post(url, {"amount_vnd": order.total_vnd, "bank_reference": "FT26340ABC"})
    shipped_ok = _move(desk, order, S.CONFIRMED)

    order.refresh_from_db()
    assert (order.payment_status, order.status) == ("PAID", S.CONFIRMED)
    event = OrderEvent.objects.filter(order=order, kind="PAYMENT").latest("id")
    assert "ref=FT26340ABC" in event.note and f"amount={order.total_vnd}" in event.note
    assert "chưa nhận được tiền" not in shipped_ok.content.decode().lower()


def test_the_buyer_cannot_mark_their_own_transfer_received(bank_order):
    order, _, buyer = bank_order

    response = _client(buyer).post(
        reverse("frontend:coop_order_paid", args=[order.cooperative_id, order.code]),
        {"amount_vnd": order.total_vnd, "bank_reference": "FT1"},
    )

    order.refresh_from_db()
    assert response.status_code == 404 and order.payment_status == "UNPAID"


def test_bank_transfer_page_names_the_bank_and_offers_copy_deadline_and_qr_image(bank_order):
    order, _, buyer = bank_order
    me = _client(buyer)

    html = me.get(reverse("frontend:order_detail", args=[order.code])).content.decode()
    png = me.get(reverse("frontend:order_vietqr_png", args=[order.code]))

    assert bank_name("970436") == "Vietcombank" and "Vietcombank" in html
    assert html.count("data-copy=") == 2
    assert "Hạn thanh toán" in html
    assert reverse("frontend:order_vietqr_png", args=[order.code]) in html
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert "attachment" in png["Content-Disposition"]


def test_checkout_shows_shipping_per_cooperative_and_grand_total():
    a = ProductFactory(price_vnd=100_000)
    b = ProductFactory(price_vnd=50_000)
    ShippingRuleFactory(cooperative=a.cooperative, flat_fee_vnd=25_000)
    ShippingRuleFactory(cooperative=b.cooperative, flat_fee_vnd=30_000)
    me = _client(UserFactory())
    for p in (a, b):
        me.post(reverse("frontend:cart_add"), {"product": p.pk, "quantity": "2"})

    html = me.get(reverse("frontend:checkout")).content.decode()

    assert "25.000" in html and "30.000" in html
    assert "355.000" in html  # 200.000 + 25.000 + 100.000 + 30.000
    assert "2 đơn hàng" in html


def test_single_cooperative_checkout_does_not_speak_of_splitting():
    a = ProductFactory(price_vnd=100_000)
    me = _client(UserFactory())
    me.post(reverse("frontend:cart_add"), {"product": a.pk, "quantity": "1"})

    html = me.get(reverse("frontend:checkout")).content.decode()

    assert "chia thành 1" not in html and "thành 1 đơn" not in html


def test_the_desk_shows_25_orders_a_page_oldest_first_and_reaches_every_one():
    product = ProductFactory(price_vnd=10_000, stock_qty=500)
    staff = MembershipFactory(cooperative=product.cooperative).user
    buyer = UserFactory()
    ShippingRuleFactory(cooperative=product.cooperative)
    codes = [place_order(buyer, product, qty=1, payment_method="cod").code for _ in range(27)]
    url = reverse("frontend:coop_orders", args=[product.cooperative_id])

    first = _client(staff).get(url).content.decode()
    second = _client(staff).get(url, {"status": "PLACED", "page": 2}).content.decode()

    assert [c for c in codes if f'id="order-{c}"' in first] == codes[:25]
    assert [c for c in codes if f'id="order-{c}"' in second] == codes[25:]
    assert 'href="?page=2"' in first  # the default tab (placed orders), page 2
    assert f"({len(codes)})" in first  # the tab still counts them all


def test_buyer_order_page_links_the_packing_slip_and_invoice_and_both_download(cod_order):
    order, _staff, buyer = cod_order
    me = _client(buyer)
    slip_url = reverse("orders:order-packing-slip-pdf", args=[order.code])
    invoice_url = reverse("orders:order-invoice-pdf", args=[order.code])

    page = me.get(reverse("frontend:order_detail", args=[order.code])).content.decode()
    slip, invoice = me.get(slip_url), me.get(invoice_url)
    stranger = _client(UserFactory()).get(slip_url)

    assert f'href="{slip_url}">Phiếu đóng gói (PDF)</a>' in page
    assert f'href="{invoice_url}">' in page
    assert (slip.status_code, invoice.status_code) == (200, 200)
    assert slip.content.startswith(b"%PDF") and invoice.content.startswith(b"%PDF")
    assert stranger.status_code == 404
