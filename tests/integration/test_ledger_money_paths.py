"""Every money path ends in balanced ledger entries that `ledger_check` recomputes from the
orders, refunds and payouts (the suite-wide hook in tests/conftest.py also checks after each
test). Stripe is the process boundary: events are self-signed webhooks, and a card refund's
answer is recorded through refund_settle / refund_fail as `refund_submit` would."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ledger.checks import ledger_check
from ledger.models import Account, Entry, PayoutLine, Transaction
from ledger.selectors import balances_for_cooperative
from ledger.services import payout_create, payout_line_mark_paid, payout_run
from orders.models import Order, OrderEvent, Payment, Refund
from orders.services.payments import payment_bank_transfer_confirm
from orders.services.refunds import refund_create, refund_fail, refund_settle
from orders.services.transitions import order_complete_delivered, order_transition
from tests.conftest import client_for
from tests.factories.catalog import ProductFactory
from tests.factories.market import MembershipFactory, UserFactory
from tests.factories.orders import export_address, place, place_order
from tests.factories.stripe import SECRET, event, post, sign, succeeded

pytestmark = pytest.mark.django_db
K = Account.Kind


@pytest.fixture(autouse=True)
def stripe_settings(settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    settings.STRIPE_SECRET_KEY = ""
    settings.PAYMENT_METHODS = ["bank_transfer", "cod", "stripe"]


@pytest.fixture
def admin():
    return UserFactory(platform_admin=True)


def card_order(price=200_000):
    checkout = place(
        UserFactory(),
        (ProductFactory(price_vnd=price), 1),
        payment_method="stripe",
        currency="VND",
        address=export_address(),
    )
    Payment.objects.filter(checkout=checkout).update(provider_id=f"pi_{checkout.pk}")
    body = event(
        "payment_intent.succeeded",
        succeeded(checkout, pi=f"pi_{checkout.pk}"),
        f"evt_{checkout.pk}",
    )
    assert post(body, sign(body)).json()["result"] == "paid"
    return checkout.orders.get()


def deliver(order, admin):
    for step in ("CONFIRMED", "PACKED", "SHIPPED", "DELIVERED"):
        extra = {"carrier": "GHN", "tracking_number": "GHN1"} if step == "SHIPPED" else {}
        order_transition(actor=admin, order_id=order.pk, to=step, **extra)


def complete(order, admin):
    deliver(order, admin)
    return order_transition(actor=admin, order_id=order.pk, to="COMPLETED")


def legs(key):
    return sorted(
        (e.account.kind, e.amount)
        for e in Entry.objects.filter(transaction__key=key).select_related("account")
    )


def test_card_payment_is_held_then_released_less_commission(admin):
    order = card_order()
    coop = order.cooperative_id
    total, commission = order.total_vnd, order.commission_vnd

    held = balances_for_cooperative(cooperative_id=coop)
    complete(order, admin)
    released = balances_for_cooperative(cooperative_id=coop)

    assert legs(f"order:{order.pk}:paid") == sorted(
        [(K.PLATFORM_STRIPE, total), (K.COOP_PENDING, -total)]
    )
    assert (held.pending_release_vnd, held.payable_vnd) == (total, 0)
    assert (released.pending_release_vnd, released.payable_vnd) == (0, total - commission)
    assert legs(f"order:{order.pk}:commission") == sorted(
        [(K.COOP_PAYABLE, commission), (K.COMMISSION, -commission)]
    )
    assert ledger_check().ok


def test_bank_transfer_paid_directly_makes_the_commission_receivable(admin):
    order = place_order(
        UserFactory(), ProductFactory(price_vnd=300_000), payment_method="bank_transfer"
    )
    payment_bank_transfer_confirm(actor=admin, order_id=order.pk)

    complete(order, admin)

    order.refresh_from_db()
    b = balances_for_cooperative(cooperative_id=order.cooperative_id)
    assert legs(f"order:{order.pk}:paid") == sorted(
        [(K.COOP_DIRECT, order.total_vnd), (K.COOP_PENDING, -order.total_vnd)]
    )
    assert (b.pending_release_vnd, b.payable_vnd, b.receivable_vnd) == (0, 0, order.commission_vnd)
    assert order.released_vnd == order.total_vnd


def test_cash_on_delivery_posts_when_delivered_and_mails_payment_received(
    admin, mailoutbox, django_capture_on_commit_callbacks
):
    order = place_order(UserFactory(), ProductFactory(price_vnd=120_000), payment_method="cod")
    before = Transaction.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        deliver(order, admin)

    assert before == 0
    assert legs(f"order:{order.pk}:paid") == sorted(
        [(K.COOP_DIRECT, order.total_vnd), (K.COOP_PENDING, -order.total_vnd)]
    )
    assert any(
        "Payment received" in m.subject or "thanh toán" in m.subject.lower() for m in mailoutbox
    )


def test_card_payment_mails_payment_received(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        card_order()

    assert any(
        "Payment received" in m.subject or "thanh toán" in m.subject.lower() for m in mailoutbox
    )


def test_refund_before_release_comes_out_of_what_is_held(admin):
    order = place_order(
        UserFactory(), ProductFactory(price_vnd=300_000), payment_method="bank_transfer"
    )
    payment_bank_transfer_confirm(actor=admin, order_id=order.pk)

    refund = refund_create(actor=admin, order_id=order.pk, amount_vnd=100_000, reason="dập")
    complete(order, admin)

    order.refresh_from_db()
    assert legs(f"refund:{refund.pk}:queued") == sorted(
        [(K.COOP_PENDING, 100_000), (K.REFUNDS, -100_000)]
    )
    assert legs(f"refund:{refund.pk}:paid") == sorted(
        [(K.REFUNDS, 100_000), (K.COOP_DIRECT, -100_000)]
    )
    assert order.released_vnd == order.total_vnd - 100_000


def test_card_refund_after_release_comes_out_of_the_payable_and_a_failed_one_goes_back(admin):
    order = card_order(price=400_000)
    complete(order, admin)
    payable = balances_for_cooperative(cooperative_id=order.cooperative_id).payable_vnd

    ok = refund_create(actor=admin, order_id=order.pk, amount_vnd=50_000, reason="thiếu")
    refund_settle(refund_id=ok.pk, provider_id="re_ok")
    bad = refund_create(actor=admin, order_id=order.pk, amount_vnd=30_000, reason="thiếu")
    refund_fail(refund_id=bad.pk, error="card expired")

    after = balances_for_cooperative(cooperative_id=order.cooperative_id)
    ok.refresh_from_db()
    bad.refresh_from_db()
    # the commission charged on the 50,000 refunded comes back; the failed refund's went back too
    assert 0 < ok.commission_back_vnd < order.commission_vnd
    assert after.payable_vnd == payable - 50_000 + ok.commission_back_vnd
    assert legs(f"refund:{ok.pk}:paid") == sorted(
        [(K.REFUNDS, 50_000), (K.PLATFORM_STRIPE, -50_000)]
    )
    assert legs(f"refund:{bad.pk}:reversed") == sorted(
        [(K.COOP_PAYABLE, -30_000), (K.REFUNDS, 30_000)]
    )
    back = bad.commission_back_vnd
    assert back > 0
    assert legs(f"refund:{bad.pk}:commission-back-reversed") == sorted(
        [(K.COMMISSION, -back), (K.COOP_PAYABLE, back)]
    )
    assert bad.status == "FAILED"


def commission_revenue(coop_id):
    return -sum(
        Entry.objects.filter(
            account__kind=K.COMMISSION, transaction__cooperative_id=coop_id
        ).values_list("amount", flat=True)
    )


def test_refunding_everything_after_release_gives_all_the_commission_back(admin):
    order = card_order(price=333_333)
    complete(order, admin)
    order.refresh_from_db()
    coop = order.cooperative_id
    first = order.released_vnd // 3

    a = refund_create(actor=admin, order_id=order.pk, amount_vnd=first, reason="hỏng một phần")
    refund_settle(refund_id=a.pk, provider_id="re_a")
    rest = order.released_vnd - first
    b = refund_create(actor=admin, order_id=order.pk, amount_vnd=rest, reason="trả lại hết")
    refund_settle(refund_id=b.pk, provider_id="re_b")

    a.refresh_from_db()
    b.refresh_from_db()
    assert a.commission_back_vnd + b.commission_back_vnd == order.commission_vnd
    assert legs(f"refund:{a.pk}:commission-back") == sorted(
        [(K.COMMISSION, a.commission_back_vnd), (K.COOP_PAYABLE, -a.commission_back_vnd)]
    )
    assert commission_revenue(coop) == 0
    assert balances_for_cooperative(cooperative_id=coop).payable_vnd == 0
    assert ledger_check().ok


def test_a_refund_after_release_of_an_order_paid_directly_lowers_the_commission_owed(admin):
    order = place_order(
        UserFactory(), ProductFactory(price_vnd=300_000), payment_method="bank_transfer"
    )
    payment_bank_transfer_confirm(actor=admin, order_id=order.pk)
    complete(order, admin)
    order.refresh_from_db()

    half = order.released_vnd // 2
    refund = refund_create(actor=admin, order_id=order.pk, amount_vnd=half, reason="thiếu hàng")

    refund.refresh_from_db()
    b = balances_for_cooperative(cooperative_id=order.cooperative_id)
    assert abs(refund.commission_back_vnd * 2 - order.commission_vnd) <= 1
    assert b.receivable_vnd == order.commission_vnd - refund.commission_back_vnd
    assert legs(f"refund:{refund.pk}:commission-back") == sorted(
        [
            (K.COMMISSION, refund.commission_back_vnd),
            (K.COOP_RECEIVABLE, -refund.commission_back_vnd),
        ]
    )
    assert ledger_check().ok


def test_a_refund_before_release_gives_no_commission_back(admin):
    order = card_order()

    refund = refund_create(actor=admin, order_id=order.pk, amount_vnd=10_000, reason="hỏng")

    refund.refresh_from_db()
    assert refund.commission_back_vnd == 0
    assert not Transaction.objects.filter(key__startswith=f"refund:{refund.pk}:commission").exists()


def test_a_refund_above_what_was_paid_is_refused_and_writes_nothing(admin):
    order = place_order(
        UserFactory(), ProductFactory(price_vnd=100_000), payment_method="bank_transfer"
    )
    payment_bank_transfer_confirm(actor=admin, order_id=order.pk)
    before = (Transaction.objects.count(), Refund.objects.count())

    response = client_for(admin).post(
        f"/api/v1/orders/{order.code}/refunds/",
        {"amount_vnd": order.total_vnd + 1, "reason": "quá"},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "refund_invalid"
    assert (Transaction.objects.count(), Refund.objects.count()) == before


def test_delivered_orders_complete_after_n_days_unless_a_refund_is_open(admin, settings):
    settings.ORDER_AUTO_COMPLETE_DAYS = 7
    quiet = card_order()
    disputed = card_order()
    recent = card_order()
    for o in (quiet, disputed, recent):
        deliver(o, admin)
    OrderEvent.objects.filter(order__in=[quiet, disputed], to_status="DELIVERED").update(
        created_at=timezone.now() - timedelta(days=8)
    )
    refund_create(actor=admin, order_id=disputed.pk, amount_vnd=10_000, reason="hỏng")

    done, checked = order_complete_delivered()

    statuses = dict(Order.objects.values_list("pk", "status"))
    assert (done, checked) == (1, 1)
    assert (statuses[quiet.pk], statuses[disputed.pk], statuses[recent.pk]) == (
        "COMPLETED",
        "DELIVERED",
        "DELIVERED",
    )
    assert Transaction.objects.filter(key=f"order:{quiet.pk}:release").exists()
    assert not Transaction.objects.filter(key=f"order:{disputed.pk}:release").exists()


def test_payout_run_pays_released_money_less_receivable_commission(admin):
    card = card_order(price=1_000_000)
    complete(card, admin)
    coop = card.cooperative
    direct = place_order(
        UserFactory(), ProductFactory(cooperative=coop, price_vnd=200_000), payment_method="cod"
    )
    complete(direct, admin)
    payable = balances_for_cooperative(cooperative_id=coop.pk).payable_vnd
    receivable = balances_for_cooperative(cooperative_id=coop.pk).receivable_vnd

    batch = payout_run(minimum_vnd=100_000)
    line = batch.lines.get()
    again = payout_run(minimum_vnd=100_000)
    response = client_for(admin).post(
        f"/api/v1/admin/ledger/payout-lines/{line.pk}/paid/",
        {"bank_reference": "FT2612345"},
        format="json",
    )

    assert (line.gross_vnd, line.netted_vnd, line.amount_vnd) == (
        payable,
        receivable,
        payable - receivable,
    )
    assert again is None  # the pending line holds the balance back
    assert response.status_code == 200 and response.json()["status"] == "PAID"
    b = balances_for_cooperative(cooperative_id=coop.pk)
    assert (b.payable_vnd, b.receivable_vnd, b.paid_this_month_vnd) == (0, 0, payable - receivable)
    assert legs(f"payout_line:{line.pk}:paid") == sorted(
        [
            (K.COOP_PAYABLE, payable),
            (K.COOP_RECEIVABLE, -receivable),
            (K.PLATFORM_BANK, -(payable - receivable)),
        ]
    )


def test_marking_a_line_paid_twice_is_a_conflict_and_changes_nothing(admin):
    complete(card_order(price=500_000), admin)
    line = payout_run(minimum_vnd=0).lines.get()
    client = client_for(admin)
    client.post(
        f"/api/v1/admin/ledger/payout-lines/{line.pk}/paid/",
        {"bank_reference": "FT1"},
        format="json",
    )
    before = (Transaction.objects.count(), Entry.objects.count())

    second = client.post(
        f"/api/v1/admin/ledger/payout-lines/{line.pk}/paid/",
        {"bank_reference": "FT2"},
        format="json",
    )

    assert second.status_code == 409 and second.json()["code"] == "payout_line_not_pending"
    assert (Transaction.objects.count(), Entry.objects.count()) == before
    assert PayoutLine.objects.get(pk=line.pk).bank_reference == "FT1"


def test_a_failed_line_returns_to_the_balance(admin):
    order = card_order(price=500_000)
    complete(order, admin)
    line = payout_run(minimum_vnd=0).lines.get()

    response = client_for(admin).post(
        f"/api/v1/admin/ledger/payout-lines/{line.pk}/failed/",
        {"reason": "sai số tài khoản"},
        format="json",
    )
    again = payout_run(minimum_vnd=0)

    assert response.status_code == 200 and response.json()["status"] == "FAILED"
    assert not Transaction.objects.filter(kind="PAYOUT").exists()
    assert again.lines.get().gross_vnd == line.gross_vnd


def test_a_payout_above_the_balance_is_refused_and_writes_nothing(admin):
    order = card_order(price=500_000)
    complete(order, admin)
    available = balances_for_cooperative(cooperative_id=order.cooperative_id).available.net_vnd

    too_much = client_for(admin).post(
        "/api/v1/admin/ledger/payouts/",
        {"cooperative_id": order.cooperative_id, "amount_vnd": available + 1},
        format="json",
    )
    fine = client_for(admin).post(
        "/api/v1/admin/ledger/payouts/",
        {"cooperative_id": order.cooperative_id, "amount_vnd": available},
        format="json",
    )

    assert too_much.status_code == 422 and too_much.json()["code"] == "payout_exceeds_balance"
    assert fine.status_code == 201 and PayoutLine.objects.count() == 1


def test_adjustments_need_an_admin_and_a_reason(admin, actors):
    bank = Account.objects.create(kind=K.PLATFORM_BANK)
    stripe_acc = Account.objects.create(kind=K.PLATFORM_STRIPE)
    body = {
        "debit_account_id": bank.pk,
        "credit_account_id": stripe_acc.pk,
        "amount_vnd": 5_000_000,
    }

    no_reason = client_for(admin).post(
        "/api/v1/admin/ledger/adjustments/", {**body, "reason": " "}, format="json"
    )
    by_staff = client_for(actors["staff"]).post(
        "/api/v1/admin/ledger/adjustments/", {**body, "reason": "Stripe payout"}, format="json"
    )
    nothing = Transaction.objects.count()
    ok = client_for(admin).post(
        "/api/v1/admin/ledger/adjustments/", {**body, "reason": "Stripe payout po_1"}, format="json"
    )

    assert (no_reason.status_code, no_reason.json()["code"]) == (400, "reason_required")
    assert (by_staff.status_code, by_staff.json()["code"]) == (403, "admin_only")
    assert nothing == 0
    assert ok.status_code == 201
    assert legs(ok.json()["key"]) == sorted(
        [(K.PLATFORM_BANK, 5_000_000), (K.PLATFORM_STRIPE, -5_000_000)]
    )


def test_a_statement_of_another_cooperative_is_not_found(actors):
    period = timezone.localdate().strftime("%Y-%m")
    base = f"/api/v1/ledger/cooperatives/{actors['coop'].pk}"

    answers = [
        client_for(actors["other_staff"]).get(f"{base}/statements/{period}.csv"),
        client_for(actors["other_staff"]).get(f"{base}/statements/{period}.pdf"),
        client_for(actors["other_staff"]).get(f"{base}/commission-invoices/{period}.pdf"),
        client_for(actors["buyer"]).get(f"{base}/balances/"),
    ]

    assert [(r.status_code, r.json()["code"]) for r in answers] == [(404, "not_found")] * 4


def test_statement_rows_add_up_from_opening_to_closing(admin):
    card = card_order(price=700_000)
    complete(card, admin)
    refund = refund_create(actor=admin, order_id=card.pk, amount_vnd=70_000, reason="thiếu")
    refund_settle(refund_id=refund.pk, provider_id="re_s")
    refund.refresh_from_db()
    coop = card.cooperative
    staff = UserFactory()
    from tests.factories.market import MembershipFactory

    MembershipFactory(cooperative=coop, user=staff, role="OWNER")
    period = timezone.localdate().strftime("%Y-%m")

    csv_resp = client_for(staff).get(
        f"/api/v1/ledger/cooperatives/{coop.pk}/statements/{period}.csv"
    )
    pdf_resp = client_for(staff).get(
        f"/api/v1/ledger/cooperatives/{coop.pk}/statements/{period}.pdf"
    )

    lines = csv_resp.content.decode().strip().splitlines()
    opening, closing = int(lines[0].split(",")[1]), int(lines[-1].split(",")[1])
    rows = [ln.split(",") for ln in lines[2:-1]]
    assert rows[0][1] == card.code
    gross, commission, refunds = (int(x) for x in rows[0][3:6])
    assert (gross, refunds) == (card.total_vnd, 70_000)
    assert commission == card.commission_vnd - refund.commission_back_vnd  # less what came back
    assert (
        closing - opening == sum(int(r[-1]) for r in rows) == card.total_vnd - commission - 70_000
    )
    assert pdf_resp.status_code == 200 and pdf_resp.content.startswith(b"%PDF")


def test_ledger_check_command_prints_the_line(admin, capsys):
    complete(card_order(), admin)

    call_command("ledger_check")

    out = capsys.readouterr().out.strip().splitlines()[-1]
    assert out == f"ledger: {Transaction.objects.count()} transactions balanced, drift 0 VND"


@pytest.mark.ledger_drift_expected
def test_ledger_check_finds_drift_and_fails(admin, capsys):
    order = card_order()
    commission = Account.objects.create(kind=K.COMMISSION)
    txn = Transaction.objects.create(kind="ADJUSTMENT", key="tamper", created_at=timezone.now())
    Entry.objects.create(transaction=txn, account=commission, amount=-1_000)
    Entry.objects.create(
        transaction=txn,
        account=Account.objects.get(kind=K.COOP_PENDING, cooperative=order.cooperative),
        amount=900,
    )

    with pytest.raises(CommandError) as exc:
        call_command("ledger_check")

    out = capsys.readouterr().out
    assert exc.value.returncode == 1
    assert f"unbalanced: transaction #{txn.pk}" in out
    assert "ledger: " in out and "1 unbalanced" in out


def test_ledger_rows_are_immutable(admin):
    order = card_order()
    txn = Transaction.objects.get(key=f"order:{order.pk}:paid")

    with pytest.raises(TypeError):
        txn.save()
    with pytest.raises(TypeError):
        Entry.objects.filter(transaction=txn).update(amount=1)
    with pytest.raises(TypeError):
        Entry.objects.filter(transaction=txn).delete()
    assert Entry.objects.filter(transaction=txn).count() == 2


def _direct_order_refunded_after_its_commission_was_set_off(admin, price: int):
    """A cooperative with a released card order and a released order paid to it directly (price
    `price`), paid out (its commission set off: receivable 0); then half the direct order is
    refunded. Returns (card order, cooperative, that refund)."""
    card = card_order(price=1_000_000)
    complete(card, admin)
    coop = card.cooperative
    direct = place_order(
        UserFactory(),
        ProductFactory(cooperative=coop, price_vnd=price),
        payment_method="bank_transfer",
    )
    payment_bank_transfer_confirm(actor=admin, order_id=direct.pk)
    complete(direct, admin)
    first = payout_run(minimum_vnd=0).lines.get()
    payout_line_mark_paid(actor=admin, line_id=first.pk, bank_reference="FT1")
    direct.refresh_from_db()
    refund = refund_create(
        actor=admin, order_id=direct.pk, amount_vnd=direct.released_vnd // 2, reason="thiếu hàng"
    )
    refund.refresh_from_db()
    return card, coop, refund


def test_commission_given_back_after_it_was_set_off_is_paid_out_not_kept(admin):
    # given a cooperative whose commission on an order paid to it directly was set off in a
    # payout (its receivable is 0), and that order is then partly refunded
    _, coop, refund = _direct_order_refunded_after_its_commission_was_set_off(admin, 300_000)
    back = refund.commission_back_vnd

    # then we owe it that commission back, and its page says so
    b = balances_for_cooperative(cooperative_id=coop.pk)
    assert back > 0 and (b.payable_vnd, b.receivable_vnd) == (0, -back)
    assert (b.available.netted_vnd, b.available.net_vnd) == (-back, back)
    director = Client()
    director.force_login(MembershipFactory(cooperative=coop, role="OWNER").user)
    page = director.get(reverse("frontend:coop_earnings", args=[coop.pk]))
    assert page.status_code == 200
    assert f"cộng vào lần chi trả tới: {back:,} ₫".replace(",", ".") in page.content.decode()
    assert _next_payout_line(coop, "vi") == (
        f'"plus-commission">Lần chi trả tới: {_vnd(back, "vi")} ₫, gồm cả hoa hồng được hoàn lại.'
    )
    assert _next_payout_line(coop, "en") == (
        f'"plus-commission">Next payout: {_vnd(back, "en")} ₫, with the commission given back to you.'
    )

    # when an admin pays part of it by hand, then the weekly run pays the rest
    by_hand = payout_create(actor=admin, cooperative_id=coop.pk, amount_vnd=back // 2)
    payout_line_mark_paid(actor=admin, line_id=by_hand.pk, bank_reference="FT2")
    rest = payout_run(minimum_vnd=0).lines.get()
    payout_line_mark_paid(actor=admin, line_id=rest.pk, bank_reference="FT3")

    # then each transfer is commission paid back (no released money), and nothing is owed
    assert (by_hand.gross_vnd, by_hand.netted_vnd, by_hand.amount_vnd) == (
        0,
        -(back // 2),
        back // 2,
    )
    assert (rest.gross_vnd, rest.netted_vnd, rest.amount_vnd) == (
        0,
        -(back - back // 2),
        back - back // 2,
    )
    assert legs(f"payout_line:{rest.pk}:paid") == sorted(
        [
            (K.COOP_RECEIVABLE, back - back // 2),
            (K.PLATFORM_BANK, -(back - back // 2)),
        ]
    )
    after = balances_for_cooperative(cooperative_id=coop.pk)
    assert (after.payable_vnd, after.receivable_vnd, after.available.net_vnd) == (0, 0, 0)
    assert payout_run(minimum_vnd=0) is None
    assert ledger_check().ok


def test_a_payable_below_zero_holds_back_commission_owed_back_and_the_run_pays_the_others(admin):
    # given a cooperative paid out, then refunded after release on a direct order (we owe it
    # commission back) AND on a card order (its payable goes below zero)
    card, coop, _ = _direct_order_refunded_after_its_commission_was_set_off(admin, 3_000_000)
    card_refund = refund_create(actor=admin, order_id=card.pk, amount_vnd=10_000, reason="b")
    refund_settle(refund_id=card_refund.pk, provider_id="re_b")
    # and another cooperative that is simply owed its released money
    other = card_order(price=500_000)
    complete(other, admin)
    b = balances_for_cooperative(cooperative_id=coop.pk)
    assert b.payable_vnd < 0 and b.receivable_vnd < 0 and b.available.net_vnd < 0
    assert -b.receivable_vnd > -b.payable_vnd  # owed back more than it is below zero

    # when the weekly run goes
    batch = payout_run(minimum_vnd=0)

    # then the others are paid and the cooperative below zero waits (no negative gross)
    assert [line.cooperative_id for line in batch.lines.all()] == [other.cooperative_id]
    after = balances_for_cooperative(cooperative_id=coop.pk)
    assert (after.payable_vnd, after.receivable_vnd) == (b.payable_vnd, b.receivable_vnd)
    assert ledger_check().ok


def _next_payout_line(coop, lang):
    director = Client(HTTP_ACCEPT_LANGUAGE=lang)
    director.force_login(MembershipFactory(cooperative=coop, role="OWNER").user)
    page = director.get(reverse("frontend:coop_earnings", args=[coop.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    start = html.index("data-next-payout=") + len("data-next-payout=")
    return html[start : html.index("</p>", start)]


def _vnd(amount, lang):
    return f"{amount:,}".replace(",", "." if lang == "vi" else ",")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_finance_page_lists_the_cooperatives_that_owe_the_platform(admin, lang):
    # given a cooperative whose payable went below zero (card money refunded after it was paid
    # out), one that owes commission on an order paid to it directly with nothing released to
    # it, and one owed its released card money
    card, refunded, _ = _direct_order_refunded_after_its_commission_was_set_off(admin, 3_000_000)
    refund_settle(
        refund_id=refund_create(actor=admin, order_id=card.pk, amount_vnd=10_000, reason="b").pk,
        provider_id="re_b",
    )
    direct = place_order(
        UserFactory(), ProductFactory(price_vnd=500_000), payment_method="bank_transfer"
    )
    payment_bank_transfer_confirm(actor=admin, order_id=direct.pk)
    complete(direct, admin)
    plain = card_order(price=400_000)
    complete(plain, admin)
    owes = balances_for_cooperative(cooperative_id=refunded.pk).available
    commission = balances_for_cooperative(cooperative_id=direct.cooperative_id)
    assert owes.owes_vnd > 0 and owes.receivable_vnd <= 0
    assert commission.available.gross_vnd == 0 < commission.receivable_vnd
    entries = Entry.objects.count()

    # when an admin opens the finance page and reads the finance API
    web = Client(HTTP_ACCEPT_LANGUAGE=lang)
    web.force_login(admin)
    html = web.get(reverse("frontend:staff_finance")).content.decode()
    api = client_for(admin).get("/api/v1/admin/ledger/").json()

    # then both list the two that owe, each with what it owes, and not the one owed money
    assert {r["cooperative_id"]: r for r in api["owing"]} == {
        refunded.pk: {
            "cooperative_id": refunded.pk,
            "name": refunded.display_name,
            "refunds_vnd": owes.owes_vnd,
            "commission_vnd": 0,
            "total_vnd": owes.owes_vnd,
        },
        direct.cooperative_id: {
            "cooperative_id": direct.cooperative_id,
            "name": direct.cooperative.display_name,
            "refunds_vnd": 0,
            "commission_vnd": commission.receivable_vnd,
            "total_vnd": commission.receivable_vnd,
        },
    }
    assert [r["cooperative_id"] for r in api["next_payout"]] == [plain.cooperative_id]
    section = html[html.index('id="owing"') : html.index('id="payout-run"')]
    assert ("Các HTX đang nợ sàn" if lang == "vi" else "Cooperatives that owe the platform") in html
    assert f'data-owing="{refunded.pk}"' in section
    assert f"{_vnd(owes.owes_vnd, lang)} ₫" in section
    assert f'data-owing="{direct.cooperative_id}"' in section
    assert f"{_vnd(commission.receivable_vnd, lang)} ₫" in section
    assert f'data-owing="{plain.cooperative_id}"' not in section
    assert Entry.objects.count() == entries  # reading moves no money


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_earnings_page_says_which_way_the_next_payout_goes(admin, lang):
    # given a cooperative whose payable went below zero (refunded after it was paid out), one
    # owed its released card money, and one that owes commission on an order paid to it directly
    # (the one we owe commission back: test_commission_given_back_after_it_was_set_off_…)
    card, owes, _ = _direct_order_refunded_after_its_commission_was_set_off(admin, 3_000_000)
    refund_settle(
        refund_id=refund_create(actor=admin, order_id=card.pk, amount_vnd=10_000, reason="b").pk,
        provider_id="re_b",
    )
    plain = card_order(price=400_000)
    complete(plain, admin)
    own_card = card_order(price=900_000)
    complete(own_card, admin)
    direct = place_order(
        UserFactory(),
        ProductFactory(cooperative=own_card.cooperative, price_vnd=300_000),
        payment_method="bank_transfer",
    )
    payment_bank_transfer_confirm(actor=admin, order_id=direct.pk)
    complete(direct, admin)
    coops = {"owes": owes, "plain": plain.cooperative, "less": direct.cooperative}
    a = {k: balances_for_cooperative(cooperative_id=c.pk).available for k, c in coops.items()}
    assert a["owes"].net_vnd < 0 and a["plain"].netted_vnd == 0 < a["less"].netted_vnd

    # when each one's staff opens the earnings page
    lines = {k: _next_payout_line(c, lang) for k, c in coops.items()}

    # then each reads what its next payout does (never a payout of a negative amount)
    vi = lang == "vi"
    net = {k: _vnd(a[k].net_vnd, lang) for k in a}
    assert lines["plain"] == '"plain">' + (
        f"Lần chi trả tới: {net['plain']} ₫." if vi else f"Next payout: {net['plain']} ₫."
    )
    assert lines["less"] == '"less-commission">' + (
        f"Lần chi trả tới: {net['less']} ₫ sau khi trừ hoa hồng phải nộp."
        if vi
        else f"Next payout: {net['less']} ₫ after the commission you owe."
    )
    owes_text = _vnd(-a["owes"].net_vnd, lang)
    assert lines["owes"].startswith(
        f'"owes">HTX đang nợ {owes_text} ₫: tiền đã hoàn cho người mua'
        if vi
        else f'"owes">You owe {owes_text} ₫: money refunded to buyers after it was paid out'
    )
    assert "-" not in lines["owes"]
