"""The one service that moves payment status: `Order.payment_status` (with `amount_paid_vnd`,
`amount_refunded_vnd`) and `Payment.status`, for every method (card, bank transfer, cash on
delivery) and for refunds. Nothing else in orders writes those fields.

Every function runs inside its caller's transaction with the rows locked through `orders.locks`
(payment, then order, then refund). Each money event it records writes its `OrderEvent`, and the
"payment received" e-mail goes out after commit for every method."""

from decimal import Decimal

from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from market.background import enqueue
from market.models import User
from orders import ledger, money
from orders.models import Currency, ExportTerms, Order, OrderEvent, Payment, PaymentMethod, Refund

P = Payment.Status
OPEN = (P.PENDING, P.FAILED)  # a payment that can still be paid or changed


def _event(order: Order, *, actor: User | None, kind: str, before: str, note: str) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order,
        actor=actor,
        kind=kind,
        from_status=before,
        to_status=order.payment_status,
        note=note,
    )


def order_paid(*, order: Order, actor: User | None, note: str) -> bool:
    """Money for `order` arrived (card charge, bank transfer, cash at the door): UNPAID → PAID,
    `amount_paid_vnd` = its total; an order's own pending payment row becomes SUCCEEDED (a card
    payment row is moved by `card_payment_succeeded`). Writes the event, mails after commit.
    Returns False (and changes nothing) when the order was already paid: a replay."""
    if order.payment_status != Order.PaymentStatus.UNPAID:
        return False
    before = order.payment_status
    order.payment_status, order.reserved_until = Order.PaymentStatus.PAID, None
    order.amount_paid_vnd = order.total_vnd
    order.save(update_fields=["payment_status", "reserved_until", "amount_paid_vnd", "updated_at"])
    if order.payment_method != PaymentMethod.STRIPE:
        Payment.objects.filter(order=order, status=P.PENDING).update(
            status=P.SUCCEEDED, paid_at=timezone.now(), updated_at=timezone.now()
        )
    _event(order, actor=actor, kind=OrderEvent.Kind.PAYMENT, before=before, note=note)
    ledger.post_payment(order, actor=actor)
    enqueue("orders.mail_payment_received", order_id=order.pk)
    return True


def order_payments_cancel(*, order: Order) -> None:
    """An order ended before it was paid: its own pending payment rows are cancelled."""
    Payment.objects.filter(order=order, status=P.PENDING).update(
        status=P.CANCELLED, updated_at=timezone.now()
    )


def order_ended_after_refunds(*, order: Order) -> bool:
    """An order ending (cancelled, refused) whose money was refunded while it was paid only in
    part (an export deposit refunded at Stripe) says so: REFUNDED or PARTIALLY_REFUNDED, not
    UNPAID. Returns whether `payment_status` changed (the caller saves it with the move)."""
    if order.is_paid or order.amount_refunded_vnd <= 0:
        return False
    order.payment_status = order.derived_payment_status(ending=True)
    return True


def order_payments_follow_total(*, order: Order) -> None:
    """Before payment, an order's own bank-transfer/cash payment asks for its current total
    (lines refused at confirmation lower it)."""
    Payment.objects.filter(order=order, status__in=OPEN).update(
        amount=order.total_vnd, updated_at=timezone.now()
    )


def refund_pending_vnd(order: Order) -> int:
    return (
        order.refunds.filter(status=Refund.Status.PENDING).aggregate(s=Sum("amount_vnd"))["s"] or 0
    )


def refundable_vnd(order: Order) -> int:
    """What is left to refund: received, minus refunded, minus refunds on their way."""
    return order.amount_paid_vnd - order.amount_refunded_vnd - refund_pending_vnd(order)


def _commission_back(order: Order, amount_vnd: int) -> int:
    """After release, the commission on the money refunded now goes back to the cooperative: the
    commission's share of everything refunded since release, less what earlier refunds gave back.
    Before release nothing was charged on it yet (the release charges on what is left)."""
    if order.released_at is None:
        return 0
    earlier = Refund.objects.filter(order=order, after_release=True).exclude(
        status=Refund.Status.FAILED
    )
    totals = earlier.aggregate(refunded=Sum("amount_vnd"), back=Sum("commission_back_vnd"))
    share = money.commission_back_vnd(
        charged_vnd=ledger.commission_of(order),
        released_vnd=order.released_vnd,
        refunded_vnd=(totals["refunded"] or 0) + amount_vnd,
    )
    return max(0, share - (totals["back"] or 0))


def refund_open(
    *,
    order: Order,
    payment: Payment,
    amount_vnd: int,
    reason: str,
    actor: User | None,
    provider_id: str = "",
) -> Refund:
    """A refund of `amount_vnd` is on its way to the buyer (PENDING): no longer held for the
    cooperative (ledger: refunds owed). `order` is locked."""
    refund = Refund.objects.create(
        order=order,
        payment=payment,
        amount_vnd=amount_vnd,
        reason=reason.strip(),
        created_by=actor,
        provider_id=provider_id,
        after_release=order.released_at is not None,
        commission_back_vnd=_commission_back(order, amount_vnd),
    )
    ledger.post_refund_queued(order, refund, actor=actor)
    return refund


def payment_rate(payment: Payment) -> Decimal | int | None:
    """VND per USD for a payment's money: an export order's payments (its installments' card
    charges, its wires) at the rate of its terms, a checkout's card payment at the checkout's."""
    if payment.order_id is not None:
        rate = (
            ExportTerms.objects.filter(order_id=payment.order_id)
            .values_list("usd_vnd_rate", flat=True)
            .first()
        )
        if rate is not None:
            return rate
    return payment.checkout.usd_vnd_rate


def refund_part(refund: Refund) -> Decimal:
    """A refund in its payment's currency. VND as is; USD: the difference of the charge's
    rounding (ceil of VND / rate) applied to the payment's refunded VND after and before this
    refund (earlier refunds by id, failed ones left out), at most what the payment has not given
    back yet. The parts then add up to exactly what was received: rounding each refund on its own
    lost a cent per order."""
    payment = refund.payment
    if payment.currency == Currency.VND:
        return Decimal(refund.amount_vnd)
    rate = payment_rate(payment)
    assert rate is not None  # a USD payment carries the rate it was quoted at
    earlier = sum(
        Refund.objects.filter(payment=payment, pk__lt=refund.pk)
        .exclude(status=Refund.Status.FAILED)
        .values_list("amount_vnd", flat=True)
    )
    part = money.usd(earlier + refund.amount_vnd, rate) - money.usd(earlier, rate)
    return min(part, payment.amount - payment.amount_refunded)


def refund_succeeded(*, order: Order, refund: Refund, actor: User | None) -> None:
    """A refund reached the buyer: counted on the order (payment status derived from it) and, for
    a bank-transfer/cash payment (an order's own, or an export order's wires), on the payment
    row, in its currency (`refund_part`). A card payment's refunded total comes from Stripe
    (`card_payment_refunded_total`, USD cents)."""
    refund.status = Refund.Status.SUCCEEDED
    refund.save(update_fields=["status", "provider_id", "updated_at"])
    before = order.payment_status
    order.amount_refunded_vnd += refund.amount_vnd
    if order.is_paid or order.status in Order.STOCK_RELEASING:
        order.payment_status = order.derived_payment_status()
    # else an export schedule paid in part and still running (a deposit refunded at Stripe):
    # UNPAID until it is paid in full or ends, so the schedule can still complete it
    order.save(update_fields=["amount_refunded_vnd", "payment_status", "updated_at"])
    if refund.payment.provider != PaymentMethod.STRIPE:
        Payment.objects.filter(pk=refund.payment_id).update(
            amount_refunded=F("amount_refunded") + refund_part(refund)
        )
        payment = Payment.objects.get(pk=refund.payment_id)
        payment.status = (
            P.REFUNDED if payment.amount_refunded >= payment.amount else P.PARTIALLY_REFUNDED
        )
        payment.save(update_fields=["status", "updated_at"])
    _event(
        order,
        actor=actor,
        kind=OrderEvent.Kind.REFUND,
        before=before,
        note=f"{refund.amount_vnd:,} ₫: {refund.reason}",
    )
    ledger.post_refund_paid(order, refund, actor=actor)


def refund_failed(*, order: Order, refund: Refund, error: str) -> None:
    """The provider refused a pending refund: it no longer counts as on its way, and the money
    is held for the cooperative again (the queued posting reversed)."""
    refund.status, refund.last_error = Refund.Status.FAILED, error[:2000]
    refund.save(update_fields=["status", "last_error", "updated_at"])
    ledger.post_refund_reversed(order, refund)


# --- the card payment row (one per checkout) ---


def card_payment_succeeded(*, payment: Payment, amount: Decimal) -> bool:
    """Stripe charged `amount` (what was received; it can be an older intent amount when the buyer
    paid before our update reached Stripe). A part refund Stripe reported first keeps its state
    (PARTIALLY_REFUNDED) and the charge is counted. Returns False when the whole charge was
    reported refunded first: its orders were counted and refunded then
    (`stripe_payments.on_charge_refunded`)."""
    payment.paid_at = payment.paid_at or timezone.now()
    if payment.status == P.REFUNDED:
        payment.save(update_fields=["provider_id", "paid_at", "updated_at"])
        return False
    if payment.status != P.PARTIALLY_REFUNDED:
        payment.status = P.SUCCEEDED
    payment.amount = amount
    payment.save(update_fields=["provider_id", "status", "amount", "paid_at", "updated_at"])
    return True


def card_payment_failed(*, payment: Payment, error: str) -> bool:
    """A failed attempt: only a pending payment becomes FAILED (a failure reported after success,
    by retries or reordering, changes nothing). Returns whether it changed."""
    if payment.status != P.PENDING:
        payment.save(update_fields=["provider_id", "updated_at"])
        return False
    payment.status, payment.last_error = P.FAILED, error[:2000]
    payment.save(update_fields=["provider_id", "status", "last_error", "updated_at"])
    return True


def card_payment_refunded_total(*, payment: Payment, refunded: Decimal) -> bool:
    """Stripe's refunded total for the charge (monotonic: events come in any order, the largest
    total wins). Returns True when the whole charge is refunded."""
    payment.amount_refunded = max(payment.amount_refunded, min(refunded, payment.amount))
    full = payment.amount_refunded >= payment.amount
    payment.status = P.REFUNDED if full else P.PARTIALLY_REFUNDED
    payment.paid_at = payment.paid_at or timezone.now()  # a refund implies the charge succeeded
    payment.save(
        update_fields=["provider_id", "amount_refunded", "status", "paid_at", "updated_at"]
    )
    return full


def refund_at_stripe_record(
    *, order: Order, payment: Payment, amount_vnd: int, note: str, reason: str = ""
) -> Refund:
    """Money Stripe gave back outside our refunds (its dashboard), `amount_vnd` of `order`'s,
    recorded as one succeeded refund of `payment` (its provider id the event's `note`): the
    order's refunded amount and payment status, its `REFUND` event, the ledger's refund
    postings. `order` is locked."""
    refund = refund_open(
        order=order,
        payment=payment,
        amount_vnd=amount_vnd,
        reason=reason or _("Refunded at Stripe (%(ref)s).") % {"ref": note},
        actor=None,
        provider_id=note,
    )
    refund_succeeded(order=order, refund=refund, actor=None)
    return refund


def card_payment_amount_set(*, payment: Payment, amount: Decimal) -> bool:
    """Before payment: the card payment asks for `amount` (orders of its checkout cancelled or
    lines refused). A change bumps `amount_version`, which keys the Stripe update."""
    if amount == payment.amount:
        return False
    payment.amount, payment.amount_version = amount, payment.amount_version + 1
    payment.save(update_fields=["amount", "amount_version", "updated_at"])
    return True


def card_payment_cancel(*, payment: Payment) -> None:
    """Every order of the checkout ended before payment."""
    payment.status = P.CANCELLED
    payment.save(update_fields=["status", "updated_at"])


def card_payment_error(*, payment_id: int, error: str) -> None:
    """Remember the last provider error on the payment (after commit, outside any lock)."""
    Payment.objects.filter(pk=payment_id).update(last_error=error[:2000])


# --- export orders: a schedule of installments (orders.services.export) ---


def order_installment_received(
    *,
    order: Order,
    received_vnd: int,
    schedule_paid: bool,
    by_card: bool,
    actor: User | None,
    note: str,
) -> None:
    """Money arrived for an installment of an export order (wire or card, in part or whole):
    `amount_paid_vnd` follows what the schedule has received (at the order's rate, capped by the
    total); the order becomes PAID once every installment is paid. Writes the event; the
    "payment received" mail goes out when the order is paid in full."""
    before, paid_before = order.payment_status, order.amount_paid_vnd
    # what the schedule counts now, plus what it received, lost at Stripe and owes again
    counted = order.total_vnd if schedule_paid else min(order.total_vnd, received_vnd)
    order.amount_paid_vnd = max(paid_before, counted + order.amount_owed_again_vnd)
    if schedule_paid and order.payment_status == Order.PaymentStatus.UNPAID:
        order.payment_status = order.derived_payment_status()  # PAID, unless refunds came first
        enqueue("orders.mail_payment_received", order_id=order.pk)
    part = order.amount_paid_vnd - paid_before
    if by_card and part > 0:  # into the platform's Stripe balance, not the cooperative's bank
        order.amount_paid_card_vnd += part
    order.save(
        update_fields=["payment_status", "amount_paid_vnd", "amount_paid_card_vnd", "updated_at"]
    )
    _event(order, actor=actor, kind=OrderEvent.Kind.PAYMENT, before=before, note=note)
    ledger.post_payment_part(order, amount_vnd=part, by_card=by_card, actor=actor)


def order_installment_owed_again(
    *, order: Order, amount_vnd: int, documents_withheld: bool, note: str
) -> None:
    """Money counted for an export order's installment was refunded at Stripe (its dashboard)
    while the schedule runs: the schedule owes it again (the caller lowered the installment).
    A paid order is UNPAID again until the schedule is paid again. Writes the event (the note
    says what is owed) and mails the buyer and the cooperative after commit. `order` is locked;
    the refund itself is recorded by the caller (`refund_succeeded`)."""
    before = order.payment_status
    order.amount_owed_again_vnd += amount_vnd
    order.payment_status = Order.PaymentStatus.UNPAID
    order.save(update_fields=["amount_owed_again_vnd", "payment_status", "updated_at"])
    if documents_withheld:
        note += " " + _("The shipping documents are withheld until it is paid.")
    event = _event(order, actor=None, kind=OrderEvent.Kind.PAYMENT, before=before, note=note)
    enqueue("orders.mail_payment_owed_again", order_id=order.pk, event_id=event.pk)


def installment_payment_succeeded(*, payment: Payment) -> None:
    """The card payment of one installment was charged (its amount is what it asked for). A
    refund Stripe reported first keeps its state (PARTIALLY_REFUNDED)."""
    if payment.status not in (P.REFUNDED, P.PARTIALLY_REFUNDED):
        payment.status = P.SUCCEEDED
    payment.paid_at = payment.paid_at or timezone.now()
    payment.save(update_fields=["provider_id", "status", "paid_at", "updated_at"])


def installment_wire_received(*, order: Order, amount: Decimal, currency: str) -> Payment:
    """A wire arrived for an export order's installment. All the order's wired money is one
    bank-transfer Payment (in the installments' currency, what refunds of wired money point at):
    created by the first wire receipt, its amount the sum of the wire receipts. `order` and its
    payments are locked."""
    payment = (
        Payment.objects.filter(order=order, provider=PaymentMethod.BANK_TRANSFER)
        .order_by("pk")
        .first()
    )
    now = timezone.now()
    if payment is None:
        return Payment.objects.create(
            checkout_id=order.checkout_id,
            order=order,
            provider=PaymentMethod.BANK_TRANSFER,
            amount=amount,
            currency=currency,
            status=P.SUCCEEDED,
            paid_at=now,
        )
    payment.amount += amount
    payment.paid_at = now
    if payment.status == P.REFUNDED:
        payment.status = P.PARTIALLY_REFUNDED
    payment.save(update_fields=["amount", "paid_at", "status", "updated_at"])
    return payment
