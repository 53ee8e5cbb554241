"""The refund screen of an order (`/don-hang/<code>/hoan-tien/`) and the admins' refund list, on
plain form posts: cancelling an order that was paid in part (an export deposit) gives back what
was received, an admin records a bank-transfer refund as paid back, a paid order is refunded in
part; and everyone else is refused with nothing changed. Wired money only: no Stripe call (the
card paths are in test_ledger_installment_refunds.py, against stripe-mock)."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from catalog.models import Product
from ledger.checks import ledger_check
from ledger.models import Entry
from orders.models import ExchangeRate, Order, Payment, Refund
from orders.services.export import installment_wire_confirm
from orders.services.payments import payment_bank_transfer_confirm
from quotes.services import quote_accept
from tests.factories.catalog import ProductFactory
from tests.factories.market import MembershipFactory, UserFactory
from tests.factories.orders import export_address, place, place_order
from tests.factories.quotes import give_quote, post_rfq

pytestmark = pytest.mark.django_db
RATE = 25_400
DEPOSIT = 126_492_000  # 30% of 16,600.00 USD at 25,400 ₫/USD


@pytest.fixture(autouse=True)
def _restore_language():
    yield
    translation.deactivate()


@pytest.fixture
def order(trade):
    ExchangeRate.objects.create(date=timezone.localdate(), rate_vnd=RATE, source="VCB test")
    quote = give_quote(trade, post_rfq(trade), deposit_percent=Decimal("30"))
    return quote_accept(actor=trade["buyer"], quote_id=quote.pk).order


def _as(user, lang="vi"):
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    if user is not None:
        c.force_login(user)
    return c


def _url(name, order, *args):
    return reverse(f"frontend:{name}", args=[order.code, *args])


def _state(order):
    o = Order.objects.get(pk=order.pk)
    return (
        (o.status, o.payment_status, o.amount_paid_vnd, o.amount_refunded_vnd, o.cancel_reason),
        list(Refund.objects.values_list("id", "status", "amount_vnd", "reason")),
        list(Payment.objects.values_list("id", "status", "amount_refunded")),
        Entry.objects.count(),
    )


def _wire_deposit(trade, order):
    deposit = order.installments.get(sequence=1)
    installment_wire_confirm(
        actor=trade["staff"],
        installment_id=deposit.pk,
        amount=Decimal("4980.00"),
        bank_reference="FT-DEP-1",
    )


def test_an_admin_cancels_an_order_with_its_deposit_paid_and_records_the_wire_paid_back(
    trade, order, mailoutbox, django_capture_on_commit_callbacks
):
    # given an export order in production whose deposit was wired
    _wire_deposit(trade, order)
    admin = _as(trade["admin"])

    # when an admin opens its refund screen (linked from the export order's page)
    export_page = admin.get(reverse("frontend:export_order", args=[order.code]))
    assert f'href="{_url("order_refunds", order)}"' in export_page.content.decode()
    page = admin.get(_url("order_refunds", order))

    # then it shows what was received and offers the cancel-and-refund, and a part refund of
    # what was received (the schedule still runs)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-money="received">126.492.000' in html
    assert "Hủy đơn và hoàn tiền" in html and 'id="refund-part"' in html
    assert f'name="left_vnd" value="{DEPOSIT}"' in html

    # when the admin posts it without a reason, nothing changes
    before = _state(order)
    blank = admin.post(_url("order_refund_cancel", order), {"reason": "  "})
    assert blank.status_code == 400 and _state(order) == before

    # when the admin cancels it with a reason
    with django_capture_on_commit_callbacks(execute=True):
        done = admin.post(_url("order_refund_cancel", order), {"reason": "Lũ cuốn trôi kho"})

    # then the order is cancelled and the deposit is owed back by bank transfer; both sides are
    # told what is refunded
    assert done.status_code == 302 and done["Location"] == _url("order_refunds", order)
    (refund,) = Refund.objects.filter(order=order)
    assert (refund.payment.provider, refund.amount_vnd, refund.status) == (
        "bank_transfer",
        DEPOSIT,
        "PENDING",
    )
    assert Order.objects.get(pk=order.pk).status == "CANCELLED"
    assert any(m.to == [trade["buyer"].email] and f"{DEPOSIT:,} ₫" in m.body for m in mailoutbox)
    screen = admin.get(_url("order_refunds", order)).content.decode()
    assert "đã hủy; toàn bộ số tiền đã nhận đang được hoàn lại" in screen
    assert f'id="refund-{refund.pk}"' in screen
    assert "Đã trả lại cho người mua" in screen and 'id="refund-cancel"' not in screen

    # when the admin records the transfer back to the buyer
    paid = admin.post(_url("order_refund_paid_out", order, refund.pk), {"note": "SWIFT 0042"})

    # then the refund is paid, the order refunded, the ledger balanced
    assert paid.status_code == 302
    refund.refresh_from_db()
    assert refund.status == "SUCCEEDED" and refund.reason.endswith("SWIFT 0042")
    o = Order.objects.get(pk=order.pk)
    assert (o.payment_status, o.amount_refunded_vnd) == ("REFUNDED", DEPOSIT)
    assert ledger_check().ok

    # when both posts are repeated, nothing changes and the screen says why
    before = _state(order)
    again = admin.post(_url("order_refund_cancel", order), {"reason": "lần nữa"}, follow=True)
    twice = admin.post(_url("order_refund_paid_out", order, refund.pk), {"note": "x"}, follow=True)
    assert _state(order) == before
    assert 'class="error"' in again.content.decode() and 'class="error"' in twice.content.decode()


def test_staff_refund_part_of_a_deposit_while_the_schedule_runs_and_the_balance_stays_owed(
    trade, order
):
    # given an export order in production whose deposit was wired, and its staff's refund screen
    _wire_deposit(trade, order)
    staff = _as(trade["staff"])
    left = {"left_vnd": DEPOSIT}

    # when they refund more than the deposit, or by card (none was paid by card)
    before = _state(order)
    too_much = staff.post(
        _url("order_refund_create", order),
        {"amount_vnd": DEPOSIT + 1, "reason": "Hàng ẩm", "method": "wire", **left},
        follow=True,
    )
    by_card = staff.post(
        _url("order_refund_create", order),
        {"amount_vnd": 5_000_000, "reason": "Hàng ẩm", "method": "card", **left},
        follow=True,
    )

    # then each is refused on the screen and nothing changed
    assert 'class="error"' in too_much.content.decode()
    assert 'class="error"' in by_card.content.decode()
    assert _state(order) == before

    # when they refund 5,000,000 ₫ of the deposit by bank transfer (a quality claim)
    done = staff.post(
        _url("order_refund_create", order),
        {"amount_vnd": 5_000_000, "reason": "Hàng ẩm", "method": "wire", **left},
    )

    # then it is owed back by bank transfer, the order still runs unpaid with its balance owed
    assert done.status_code == 302
    (refund,) = Refund.objects.filter(order=order)
    assert (refund.payment.provider, refund.amount_vnd, refund.status) == (
        "bank_transfer",
        5_000_000,
        "PENDING",
    )
    o = Order.objects.get(pk=order.pk)
    assert (o.status, o.payment_status, o.amount_paid_vnd) == ("CONFIRMED", "UNPAID", DEPOSIT)
    assert [i.state for i in o.installments.order_by("sequence")][0] == "PAID"
    assert o.installments.get(sequence=2).amount_due == Decimal("11620.00")
    html = staff.get(_url("order_refunds", order)).content.decode()
    assert f'name="left_vnd" value="{DEPOSIT - 5_000_000}"' in html
    assert ledger_check().ok

    # when the cooperative then cancels the order, and an admin pays both refunds back
    cancelled = staff.post(_url("order_refund_cancel", order), {"reason": "Không giao được"})
    assert cancelled.status_code == 302
    admin = _as(trade["admin"])
    for r in Refund.objects.filter(order=order).order_by("pk"):
        assert (
            admin.post(_url("order_refund_paid_out", order, r.pk), {"note": "FT"}).status_code
            == 302
        )

    # then only what was left is refunded by the cancel: the deposit comes back once in all
    assert list(Refund.objects.filter(order=order).values_list("amount_vnd", "status")) == [
        (5_000_000, "SUCCEEDED"),
        (DEPOSIT - 5_000_000, "SUCCEEDED"),
    ]
    o = Order.objects.get(pk=order.pk)
    assert (o.status, o.payment_status, o.amount_refunded_vnd) == ("CANCELLED", "REFUNDED", DEPOSIT)
    assert ledger_check().ok


def test_the_refund_screen_and_its_posts_are_only_for_the_cooperative_and_admins(trade, order):
    # given an export order whose deposit was wired, and the admins' refund list
    _wire_deposit(trade, order)
    before = _state(order)

    # when the buyer, another buyer, another cooperative's staff and a guest try the screen
    # and its posts, and its own staff tries to record a transfer as paid back
    got = {
        who: _as(trade[who]).get(_url("order_refunds", order)).status_code
        for who in ("buyer", "other_buyer", "other_staff")
    }
    posted = {
        who: _as(trade[who]).post(_url("order_refund_cancel", order), {"reason": "r"}).status_code
        for who in ("buyer", "other_buyer", "other_staff")
    }
    guest = _as(None).post(_url("order_refund_cancel", order), {"reason": "r"})
    export_page = _as(trade["buyer"]).get(reverse("frontend:export_order", args=[order.code]))
    assert _url("order_refunds", order) not in export_page.content.decode()
    listing = {
        who: _as(trade[who]).get(reverse("frontend:staff_refunds")).status_code
        for who in ("buyer", "staff")
    }

    # then each is refused (404: not theirs looks missing; a guest is sent to sign in) and
    # nothing changed
    assert got == {"buyer": 404, "other_buyer": 404, "other_staff": 404}
    assert posted == {"buyer": 404, "other_buyer": 404, "other_staff": 404}
    assert guest.status_code == 302 and "/login/" in guest["Location"]
    assert listing == {"buyer": 404, "staff": 404}
    assert _state(order) == before

    # when its own staff cancels it, the refund waits on the admins' list; staff cannot mark it
    staff = _as(trade["staff"])
    assert staff.post(_url("order_refund_cancel", order), {"reason": "Mất mùa"}).status_code == 302
    (refund,) = Refund.objects.filter(order=order)
    before = _state(order)
    refused = staff.post(_url("order_refund_paid_out", order, refund.pk), {"note": "x"})
    assert refused.status_code == 302 and _state(order) == before
    waiting = _as(trade["admin"]).get(reverse("frontend:staff_refunds")).content.decode()
    assert _url("order_refunds", order) in waiting and "126.492.000" in waiting
    found = _as(trade["admin"]).get(reverse("frontend:staff_refunds"), {"code": order.code})
    assert found.status_code == 302 and found["Location"] == _url("order_refunds", order)


def test_a_buyer_abroad_cancels_a_cart_order_paid_in_part_and_gets_the_stock_and_money_back():
    # given a buyer abroad whose cart order (one wire installment) was paid in part, before the
    # cooperative could confirm it
    ExchangeRate.objects.create(date=timezone.localdate(), rate_vnd=RATE, source="VCB test")
    product = ProductFactory(price_vnd=254_000, stock_qty=10)
    buyer = UserFactory()
    order = place(
        buyer, (product, 4), payment_method="installments", address=export_address()
    ).orders.get()
    staff = MembershipFactory(cooperative=order.cooperative, role="OWNER").user
    (full,) = order.installments.all()
    installment_wire_confirm(
        actor=staff, installment_id=full.pk, amount=Decimal("10.00"), bank_reference="FT-PART"
    )
    order.refresh_from_db()
    assert (order.status, order.amount_paid_vnd) == ("PLACED", 254_000)
    assert Product.objects.get(pk=product.pk).stock_qty == 6

    # when the buyer opens the order page and cancels
    client = _as(buyer, "en")
    page = client.get(reverse("frontend:order_detail", args=[order.code])).content.decode()
    done = client.post(reverse("frontend:order_cancel", args=[order.code]), {"reason": ""})

    # then the page said the payment would come back, the order is cancelled, its stock is
    # back, and the wired money is owed back by bank transfer
    assert "What you paid for it, ₫254,000, is refunded the way you paid" in page
    assert "Refunds and cancellation" not in page  # the refund screen is not the buyer's
    assert done.status_code == 302
    order.refresh_from_db()
    assert order.status == "CANCELLED"
    assert Product.objects.get(pk=product.pk).stock_qty == 10
    (refund,) = Refund.objects.filter(order=order)
    assert (refund.payment.provider, refund.amount_vnd, refund.status) == (
        "bank_transfer",
        254_000,
        "PENDING",
    )
    assert ledger_check().ok


def test_staff_refund_part_of_a_paid_order_and_a_refund_above_what_is_left_changes_nothing():
    # given a bank-transfer order, paid, and its cooperative's staff on the refund screen
    product = ProductFactory(price_vnd=300_000)
    order = place_order(UserFactory(), product, payment_method="bank_transfer")
    admin = UserFactory(platform_admin=True)
    payment_bank_transfer_confirm(actor=admin, order_id=order.pk)
    staff = _as(MembershipFactory(cooperative=order.cooperative, role="OWNER").user)
    page = staff.get(_url("order_refunds", order)).content.decode()
    assert 'id="refund-part"' in page and 'name="method"' not in page  # one way back only
    assert f'name="left_vnd" value="{order.total_vnd}"' in page

    # when they refund more than was received, then a part with no reason, then a part
    before = _state(order)
    left = {"left_vnd": order.total_vnd}  # what the screen shows as left to refund
    too_much = staff.post(
        _url("order_refund_create", order),
        {"amount_vnd": order.total_vnd + 1, "reason": "Hàng dập", **left},
        follow=True,
    )
    no_reason = staff.post(_url("order_refund_create", order), {"amount_vnd": 50_000, **left})
    assert _state(order) == before
    assert 'class="error"' in too_much.content.decode() and no_reason.status_code == 400
    done = staff.post(
        _url("order_refund_create", order), {"amount_vnd": 50_000, "reason": "Hàng dập", **left}
    )

    # then only the last one is a refund, recorded as paid back by the cooperative
    assert done.status_code == 302
    (refund,) = Refund.objects.filter(order=order)
    assert (refund.amount_vnd, refund.status, refund.reason) == (50_000, "SUCCEEDED", "Hàng dập")
    o = Order.objects.get(pk=order.pk)
    assert (o.payment_status, o.amount_refunded_vnd) == ("PARTIALLY_REFUNDED", 50_000)
    assert ledger_check().ok


def test_a_second_post_of_the_same_refund_form_refunds_nothing_more():
    # given a paid bank-transfer order and its staff's refund screen, which says what is left
    product = ProductFactory(price_vnd=300_000)
    order = place_order(UserFactory(), product, payment_method="bank_transfer")
    payment_bank_transfer_confirm(actor=UserFactory(platform_admin=True), order_id=order.pk)
    staff = _as(MembershipFactory(cooperative=order.cooperative, role="OWNER").user)
    form = {"amount_vnd": 50_000, "reason": "Hàng dập", "left_vnd": order.total_vnd}
    first = staff.post(_url("order_refund_create", order), form)
    assert first.status_code == 302
    before = _state(order)

    # when the same form is posted again (a double click, a resent form)
    again = staff.post(_url("order_refund_create", order), form, follow=True)

    # then it is refused with what is left now, and nothing changed
    assert _state(order) == before
    assert list(Refund.objects.values_list("amount_vnd", flat=True)) == [50_000]
    html = again.content.decode()
    assert "đã thay đổi từ khi bạn mở trang" in html
    assert f"{order.total_vnd - 50_000:,}".replace(",", ".") in html
    assert f'name="left_vnd" value="{order.total_vnd - 50_000}"' in html


def test_a_form_without_what_it_showed_is_refused_and_shown_again_with_it():
    # given a paid bank-transfer order
    product = ProductFactory(price_vnd=300_000)
    order = place_order(UserFactory(), product, payment_method="bank_transfer")
    payment_bank_transfer_confirm(actor=UserFactory(platform_admin=True), order_id=order.pk)
    staff = _as(MembershipFactory(cooperative=order.cooperative, role="OWNER").user)
    before = _state(order)

    # when a refund is posted from a page that did not carry what was left (an older page)
    old = staff.post(_url("order_refund_create", order), {"amount_vnd": 50_000, "reason": "x"})

    # then nothing changes, and the page comes back with what is left now
    assert old.status_code == 400 and _state(order) == before
    html = old.content.decode()
    assert "Trang đã cũ" in html and f'name="left_vnd" value="{order.total_vnd}"' in html


def test_the_admins_refund_list_answers_404_for_a_code_no_order_can_have():
    admin = _as(UserFactory(platform_admin=True))

    found = admin.get(reverse("frontend:staff_refunds"), {"code": "a/b"})

    assert found.status_code == 404
