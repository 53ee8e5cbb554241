"""Refunds per cooperative order. Card payments go back through Stripe (after commit, with a key
derived from the refund id); bank transfers and cash are paid back by bank transfer. An export
order paid in installments refunds its card money through Stripe (per installment card payment)
and its wired money by bank transfer (its `bank_transfer` payment): `refund_ways`.

The rule for money received for goods that will not be delivered (a paid order cancelled or
refused, an export order paid in part cancelled, refused lines, a card charge that arrived after
its order was cancelled): `refund_owed`
queues exactly one refund for it in the same transaction as the change. Refunds are counted
against `Order.amount_paid_vnd`, so a second call finds nothing left to refund. The order's
payment status is derived from the succeeded refunds (`Order.derived_payment_status`), moved by
`orders.services.payment_status`. Locks: payment, order, refund (`orders.locks`)."""

import logging
from decimal import ROUND_FLOOR, Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from market.background import enqueue
from market.models import User
from orders import locks, money, stripe_adapter
from orders.errors import NotFound, ReasonRequired, RefundInvalid, ValidationFailed
from orders.locks import lock_refund_with_parents
from orders.models import (
    Currency,
    ExportTerms,
    Installment,
    InstallmentReceipt,
    Order,
    OrderEvent,
    Payment,
    PaymentMethod,
    Refund,
)
from orders.services import payment_status
from orders.services.access import lock_order_for

log = logging.getLogger("htx.orders.refunds")


CARD, WIRE = "card", "wire"  # how money goes back (`refund_create(method=…)`)
METHODS = (CARD, WIRE)
_PAID = (Payment.Status.SUCCEEDED, Payment.Status.PARTIALLY_REFUNDED, Payment.Status.REFUNDED)


def _payment_for(order: Order) -> Payment | None:
    if order.payment_method == PaymentMethod.STRIPE:
        return Payment.objects.filter(
            checkout_id=order.checkout_id, provider=PaymentMethod.STRIPE
        ).first()
    return Payment.objects.filter(order=order).first()


def _method_of(payment: Payment) -> str:
    return CARD if payment.provider == PaymentMethod.STRIPE else WIRE


def _given_back(payments: list[Payment]) -> dict[int, int]:
    """VND refunded or on its way, per payment (failed refunds left out)."""
    rows = (
        Refund.objects.filter(payment__in=payments)
        .exclude(status=Refund.Status.FAILED)
        .values_list("payment_id", "amount_vnd")
    )
    spent: dict[int, int] = {}
    for payment_id, amount in rows:
        spent[payment_id] = spent.get(payment_id, 0) + amount
    return spent


def refund_ways(order: Order) -> list[tuple[Payment, int]]:
    """Where the money of an export order paid in installments can go back, in the order it is
    used: each paid card payment (oldest first), through Stripe, at most what was counted from it
    (its card receipts, VND at the terms' rate) less what was already refunded from it; then the wires, paid back by bank
    transfer, at most what was received by wire less its refunds. Together at most what is left
    to refund (`refundable_vnd`); card money is the order's `amount_paid_card_vnd` (the ledger's
    Stripe part)."""
    payments = list(
        Payment.objects.filter(order=order, status__in=_PAID)
        .select_related("checkout")
        .order_by("pk")
    )
    spent = _given_back(payments)
    counted = _card_receipts(order)
    card_spent = sum(spent.get(p.pk, 0) for p in payments if p.provider == PaymentMethod.STRIPE)
    card_in = min(order.amount_paid_card_vnd, order.amount_paid_vnd)
    left = payment_status.refundable_vnd(order)
    card_left = min(left, max(0, card_in - card_spent))
    wire_left = min(left - card_left, order.amount_paid_vnd - card_in)
    ways: list[tuple[Payment, int]] = []
    for p in payments:
        if p.provider == PaymentMethod.STRIPE:
            rate = Decimal(payment_status.payment_rate(p) or 1)
            # what was counted from it (its receipts), not what it charged: a charge for an
            # installment paid meanwhile by wire ("overpaid") was never counted as the order's
            received = money.to_vnd(counted.get(p.provider_id, Decimal(0)), p.currency, rate)
            room = min(card_left, received - spent.get(p.pk, 0))
            card_left -= max(room, 0)
        elif p.provider == PaymentMethod.BANK_TRANSFER:
            room, wire_left = wire_left, 0
        else:
            continue
        if room > 0:
            ways.append((p, room))
    return ways


def _card_receipts(order: Order) -> dict[str, Decimal]:
    """The card money counted for an export order's installments, per PaymentIntent id (a card
    receipt's reference)."""
    counted: dict[str, Decimal] = {}
    receipts = InstallmentReceipt.objects.filter(
        installment__order=order, method=InstallmentReceipt.Method.CARD
    ).values_list("reference", "amount")
    for reference, amount in receipts:
        counted[reference] = counted.get(reference, Decimal(0)) + amount
    return counted


def _installment_payment(order: Order, amount_vnd: int, method: str | None) -> Payment:
    """The one payment a refund of an installment order goes back by: card money first unless
    `method` says wire. A card refund fits within one card payment; a larger one is refused
    with how much can go by card (refund the rest by wire, or in a second card refund)."""
    ways = refund_ways(order)
    card = [(p, room) for p, room in ways if p.provider == PaymentMethod.STRIPE]
    wire = sum(room for p, room in ways if p.provider != PaymentMethod.STRIPE)
    card_max = max((room for _p, room in card), default=0)
    limits = {"refundable_card_vnd": card_max, "refundable_wire_vnd": wire}
    method = method or (CARD if card_max > 0 else WIRE)
    if method == CARD:
        fits = next((p for p, room in card if room >= amount_vnd), None)
        if fits is None:
            raise RefundInvalid(
                _(
                    "At most %(card)s ₫ can be refunded by card in one refund (what one card "
                    "payment received, less its refunds); %(wire)s ₫ can be paid back by bank "
                    "transfer (method wire)."
                )
                % {"card": f"{card_max:,}", "wire": f"{wire:,}"},
                fields={"amount_vnd": amount_vnd, "method": method, **limits},
                code="refund_exceeds_card",
            )
        return fits
    if amount_vnd > wire:
        raise RefundInvalid(
            _(
                "At most %(wire)s ₫ can be paid back by bank transfer (what was received by "
                "wire, less its refunds); %(card)s ₫ can be refunded by card (method card)."
            )
            % {"card": f"{card_max:,}", "wire": f"{wire:,}"},
            fields={"amount_vnd": amount_vnd, "method": method, **limits},
            code="refund_exceeds_wire",
        )
    return next(p for p, _room in ways if p.provider != PaymentMethod.STRIPE)


def _submit_after_commit(refund: Refund) -> None:
    transaction.on_commit(lambda: refund_submit_safe(refund_id=refund.pk))


def _queued_event(order: Order, refund: Refund, actor: User | None) -> None:
    how = (
        _("to Stripe")
        if refund.payment.provider == PaymentMethod.STRIPE
        else _("to pay back by bank transfer")
    )
    OrderEvent.objects.create(
        order=order,
        actor=actor,
        kind=OrderEvent.Kind.REFUND,
        from_status=order.payment_status,
        to_status=order.payment_status,
        note=_("Refund #%(id)s of %(amount)s ₫ queued (%(how)s): %(reason)s")
        % {
            "id": refund.pk,
            "amount": f"{refund.amount_vnd:,}",
            "how": how,
            "reason": refund.reason,
        },
    )


@transaction.atomic
def refund_create(
    *,
    actor: User,
    order_id: int,
    amount_vnd: int,
    reason: str,
    method: str | None = None,
    refundable_seen_vnd: int | None = None,
) -> Refund:
    """Refund part or all of the money received for an order: a paid order, an export order
    paid in part whose schedule still runs (the refund does not lower what the schedule still
    owes: the order's amount stays), or an order that ended (a refund that failed at Stripe,
    made again). Only the cooperative's staff or an admin may.

    The money goes back the way it came: a card order through Stripe (after commit); a bank
    transfer or cash order is recorded as paid back by the cooperative at once; an export order
    paid in installments by card (`method="card"`, the default while card money is left: within
    one card payment, through Stripe) or by wire (`method="wire"`: PENDING until an admin pays it
    back by bank transfer and calls `refund_mark_paid_out`).

    Raises NotFound, ActionForbidden, ReasonRequired, ValidationFailed (unknown method) or
    RefundInvalid (no money received for the order, amount not positive or above what is left to refund, above
    what can go back the chosen way, a way the order was not paid; `refund_changed` when
    `refundable_seen_vnd`, what was left to refund on the asker's screen, is no longer what is
    left: a second click of the same form, or someone else's refund meanwhile). Nothing
    changes when it raises."""
    order = lock_order_for(actor=actor, order_id=order_id, allowed={"coop", "admin"})
    if not (reason or "").strip():
        raise ReasonRequired(fields={"reason": [_("A reason is required.")]})
    if method not in (None, *METHODS):
        raise ValidationFailed(fields={"method": [_("Choose card or wire.")]})
    payment = _payment_for(order)
    if (
        not order.takes_refunds
        or payment is None
        or order.payment_status == Order.PaymentStatus.REFUNDED
    ):
        raise RefundInvalid(
            _("Only money received for an order can be refunded."),
            fields={"payment_status": order.payment_status},
        )
    left = payment_status.refundable_vnd(order)
    if refundable_seen_vnd is not None and refundable_seen_vnd != left:
        # Checked under the order's lock: of two posts of one form, the second waits for the
        # first and then finds less left than its page showed (it would refund twice).
        raise RefundInvalid(
            _(
                "The refunds of this order changed since the page was opened: %(left)s ₫ is "
                "left to refund now. Check them, then refund again if it is still needed."
            )
            % {"left": f"{left:,}"},
            fields={"refundable_vnd": left, "refundable_seen_vnd": refundable_seen_vnd},
            code="refund_changed",
        )
    if not isinstance(amount_vnd, int) or amount_vnd <= 0 or amount_vnd > left:
        raise RefundInvalid(
            _("The amount must be between 1 and %(left)s ₫.") % {"left": f"{left:,}"},
            fields={"amount_vnd": amount_vnd, "refundable_vnd": left},
        )
    installments = order.payment_method == PaymentMethod.INSTALLMENTS
    if installments:
        payment = _installment_payment(order, amount_vnd, method)
    elif method and method != _method_of(payment):
        raise RefundInvalid(
            _("This order was paid by card: its refunds go back through Stripe.")
            if _method_of(payment) == CARD
            else _("This order was not paid by card: its refunds are paid back by bank transfer."),
            fields={"method": method},
            code="refund_method_invalid",
        )
    refund = payment_status.refund_open(
        order=order, payment=payment, amount_vnd=amount_vnd, reason=reason, actor=actor
    )
    if payment.provider == PaymentMethod.STRIPE:
        _submit_after_commit(refund)
    elif installments:  # wired money: the cooperative pays it back by bank transfer
        _queued_event(order, refund, actor)
    else:
        payment_status.refund_succeeded(order=order, refund=refund, actor=actor)
    return refund


def refund_owed(*, order: Order, amount_vnd: int, reason: str, actor: User | None) -> Refund | None:
    """Queue the refund of money received for goods that will not be delivered. Runs inside the
    caller's transaction with `order` locked; at most what is left to refund, so calling it twice
    for the same money creates nothing the second time. Card: submitted to Stripe after commit.
    Bank transfer / cash: PENDING until an admin pays it back and calls `refund_mark_paid_out`.
    An export order paid in installments gets one refund per way its money came (each card
    payment, then the wires: `refund_ways`). Returns the first refund queued."""
    amount = min(int(amount_vnd), payment_status.refundable_vnd(order))
    payment = _payment_for(order)
    if order.amount_paid_vnd <= 0 or payment is None or amount <= 0:
        return None
    if order.payment_method == PaymentMethod.INSTALLMENTS:
        ways = refund_ways(order)
    else:
        ways = [(payment, amount)]
    first = None
    for way, room in ways:
        part = min(room, amount)
        if part <= 0:
            break
        refund = payment_status.refund_open(
            order=order, payment=way, amount_vnd=part, reason=reason, actor=actor
        )
        _queued_event(order, refund, actor)
        if way.provider == PaymentMethod.STRIPE:
            _submit_after_commit(refund)
        amount -= part
        first = first or refund
    return first


def _schedule_runs(order: Order) -> bool:
    """An export order whose schedule can still be paid: not ended, its goods not delivered and
    its money not released to the cooperative."""
    return (
        order.payment_method == PaymentMethod.INSTALLMENTS
        and order.status not in Order.STOCK_RELEASING
        and order.status not in (Order.Status.DELIVERED, Order.Status.COMPLETED)
        and order.released_at is None
    )


def _installment_charge_counted(payment: Payment) -> Decimal:
    """What was counted from an installment's card charge: its card receipts (in its currency)."""
    return sum(
        InstallmentReceipt.objects.filter(
            installment__order_id=payment.order_id or 0,
            method=InstallmentReceipt.Method.CARD,
            reference=payment.provider_id,
        ).values_list("amount", flat=True),
        Decimal(0),
    )


def _stripe_refunded_beyond_ours(payment: Payment, counted: Decimal) -> tuple[Decimal, Decimal]:
    """What Stripe reports given back of `payment`'s charge (`amount_refunded`, the largest total
    it reported) beyond our own refunds of it (on their way or paid) and beyond the part of the
    charge never counted as the orders' (`counted` is what was: an overpaid installment charge's
    excess is given back by us without a refund row), with what was counted from it and not
    refunded by us: both in the payment's currency. Our refunds' parts add up to `money.usd` of
    their VND sum (`refund_part`), so a charge refunded only by us gives nothing beyond."""
    ours = _ours_part(payment, _given_back([payment]).get(payment.pk, 0))
    left = max(counted - ours, Decimal(0))
    uncounted = max(payment.amount - counted, Decimal(0))
    return min(max(payment.amount_refunded - uncounted - ours, Decimal(0)), left), left


def _ours_part(payment: Payment, spent_vnd: int) -> Decimal:
    """Our refunds of `payment` (VND) in its currency: what Stripe gave back for them."""
    if payment.currency == Currency.USD:
        return money.usd(spent_vnd, Decimal(payment_status.payment_rate(payment) or 1))
    return Decimal(spent_vnd)


def _beyond_vnd(payment: Payment, beyond: Decimal) -> int:
    """The VND of a refund at Stripe of `beyond` (payment currency) after our refunds: the largest
    VND whose refunds together come to exactly our part plus `beyond` (`money.usd` rounds up), so
    a replayed event finds nothing left beyond."""
    spent = _given_back([payment]).get(payment.pk, 0)
    if payment.currency != Currency.USD:
        return int(beyond)
    rate = Decimal(payment_status.payment_rate(payment) or 1)
    total = ((_ours_part(payment, spent) + beyond) * rate).to_integral_value(rounding=ROUND_FLOOR)
    return max(int(total) - spent, 0)


def _installments_owed_again(
    *, order: Order, payment: Payment, owed: Decimal, amount_vnd: int, whole: bool
) -> None:
    """What Stripe gave back of `payment`'s charge beyond our own refunds of it (`owed`, in its
    currency; `amount_vnd` in VND) is no longer paid on its installment: the installment's
    `amount_paid` goes down by it (the latest receipt of the charge first), the order is unpaid
    again and documents released on the paid schedule are withheld. Locks the installments
    (after the payment and the order, as `orders.locks` orders them)."""
    receipts = list(
        InstallmentReceipt.objects.filter(
            installment__order=order,
            method=InstallmentReceipt.Method.CARD,
            reference=payment.provider_id,
        ).order_by("-pk")
    )
    installments = Installment.objects.select_for_update(of=("self",)).filter(
        pk__in={r.installment_id for r in receipts}
    )
    by_id = {i.pk: i for i in installments.order_by("pk")}
    lines = []
    for receipt in receipts:  # the latest receipt first
        inst = by_id[receipt.installment_id]
        part = min(owed, receipt.amount, inst.amount_paid)
        if part <= 0:
            continue
        inst.amount_paid, inst.paid_at, owed = inst.amount_paid - part, None, owed - part
        inst.save(update_fields=["amount_paid", "paid_at", "updated_at"])
        lines.append(f"{inst.get_kind_display()} {inst.sequence}: {part} {inst.currency}")
    terms = ExportTerms.objects.filter(order=order).first()
    withheld = terms is not None and terms.documents_released_at is not None
    if terms is not None and withheld:
        terms.documents_released_at = None
        terms.save(update_fields=["documents_released_at", "updated_at"])
    what = "; ".join(lines) or f"{amount_vnd:,} ₫"
    payment_status.order_installment_owed_again(
        order=order,
        amount_vnd=amount_vnd,
        documents_withheld=withheld,
        note=(
            _(
                "A card payment was refunded at Stripe while the payment schedule runs: "
                "%(what)s is owed again."
            )
            if whole
            else _(
                "Part of a card payment was refunded at Stripe while the payment schedule "
                "runs: %(what)s is owed again."
            )
        )
        % {"what": what},
    )


def refund_installment_card_at_stripe(*, order: Order, payment: Payment, note: str) -> None:
    """Stripe reports (part of) one installment's card charge refunded (our own refunds, or
    Stripe's dashboard; `payment.amount_refunded`, the largest total it reported): what it gave
    back beyond our refunds of that payment (`_stripe_refunded_beyond_ours`) is recorded as one
    succeeded refund of it. The order's other money (other card payments, wires) stays. Inside
    the webhook's transaction, the payment then the order locked. Repeated or out-of-order
    events (a smaller total after a larger one) find nothing beyond and change nothing.

    While the schedule runs (not ended, not delivered, not released), that money is owed again:
    its installment counts it unpaid, so the schedule is short (a paid order is UNPAID again, its
    documents withheld, delivery refused) until the buyer pays it again
    (`_installments_owed_again`). Once the goods are delivered it is a refund like any other
    (PARTIALLY_REFUNDED or REFUNDED, with its ledger entries). Cancelling the order later
    refunds nothing twice (what is left to refund dropped)."""
    if order.amount_paid_vnd <= 0:
        return  # nothing was counted as received for it
    room = next((r for p, r in refund_ways(order) if p.pk == payment.pk), 0)
    beyond, left = _stripe_refunded_beyond_ours(payment, _installment_charge_counted(payment))
    if room <= 0 or beyond <= 0:
        return
    whole = beyond >= left  # all that was counted from it and not refunded by us
    amount_vnd = room if whole else min(room, _beyond_vnd(payment, beyond))
    if amount_vnd <= 0:
        return
    if _schedule_runs(order):
        _installments_owed_again(
            order=order, payment=payment, owed=beyond, amount_vnd=amount_vnd, whole=whole
        )
    payment_status.refund_at_stripe_record(
        order=order, payment=payment, amount_vnd=amount_vnd, note=note
    )


def _split_at_stripe(amount_vnd: int, rooms: dict[Order, int]) -> dict[Order, int]:
    """Which orders of a checkout a refund at Stripe of `amount_vnd` (at most their rooms: what
    each has left to refund) comes out of. Stripe does not say: an amount that is exactly one
    order's room (and no other's) is that order's (the usual dashboard refund: one cooperative's
    order, in whole or what was left of it); any other amount is shared in proportion to the
    rooms (each cooperative gives back its share), the đồng left by rounding down going to the
    largest remainders, then the oldest orders."""
    exact = [order for order, room in rooms.items() if room == amount_vnd]
    if len(exact) == 1:
        return {exact[0]: amount_vnd}
    total = sum(rooms.values())
    shares = {order: amount_vnd * room // total for order, room in rooms.items()}
    rest = amount_vnd - sum(shares.values())
    by_remainder = sorted(rooms, key=lambda o: (-(amount_vnd * rooms[o] % total), o.pk))
    for order in by_remainder[:rest]:
        shares[order] += 1
    return {order: part for order, part in shares.items() if part > 0}


def refund_checkout_card_at_stripe(*, payment: Payment, orders: list[Order], note: str) -> int:
    """Stripe reports (part of) a checkout's card charge refunded (our own refunds, or Stripe's
    dashboard; `payment.amount_refunded`, the largest total it reported): what it gave back
    beyond our refunds of that payment (`_stripe_refunded_beyond_ours`, as for an installment's
    charge) is recorded as succeeded refunds of the orders the charge paid, split between them
    by `_split_at_stripe`. Each is a refund like our own (`PARTIALLY_REFUNDED` or `REFUNDED`, its
    timeline event, its ledger entries out of the cooperative's held money, or after release out
    of its earnings with the commission given back); nothing is owed again (a checkout has no
    schedule to pay again), the order keeps its status, and its buyer and cooperative are
    mailed. Inside the webhook's transaction, the payment then `orders` locked. A charge not
    counted yet records nothing (the charge event does, `on_intent_succeeded`); repeated or
    out-of-order events find nothing beyond and change nothing. Returns the VND recorded."""
    rooms = {o: payment_status.refundable_vnd(o) for o in orders if o.amount_paid_vnd > 0}
    rooms = {o: room for o, room in rooms.items() if room > 0}
    if not rooms:
        return 0  # not counted yet, or nothing left of it to give back
    beyond, left = _stripe_refunded_beyond_ours(payment, payment.amount)
    if beyond <= 0:
        return 0
    room = sum(rooms.values())
    amount_vnd = room if beyond >= left else min(room, _beyond_vnd(payment, beyond))
    if amount_vnd <= 0:
        return 0
    shares = _split_at_stripe(amount_vnd, rooms)
    for order, part in shares.items():
        refund = payment_status.refund_at_stripe_record(
            order=order,
            payment=payment,
            amount_vnd=part,
            note=note,
            reason=_(
                "Refunded at Stripe (%(ref)s): this order's share of %(amount)s ₫ given back "
                "on the checkout's card payment."
            )
            % {"ref": note, "amount": f"{amount_vnd:,}"},
        )
        enqueue("orders.mail_refunded_at_stripe", order_id=order.pk, refund_id=refund.pk)
    return amount_vnd


@transaction.atomic
def refund_mark_paid_out(*, actor: User, refund_id: int, note: str = "") -> Refund:
    """An admin records that a pending bank-transfer or cash refund was paid back to the buyer.

    Raises NotFound (no such refund; also for non-admins), RefundInvalid (not pending, or a card
    refund, which Stripe settles). Nothing changes when it raises."""
    if not (actor and actor.is_authenticated and actor.is_active and actor.is_platform_admin):
        raise NotFound()
    order, refund = lock_refund_with_parents(refund_id)
    if refund.status != Refund.Status.PENDING or refund.payment.provider == PaymentMethod.STRIPE:
        raise RefundInvalid(
            _("Only a pending bank-transfer or cash refund can be marked as paid out."),
            fields={"status": refund.status, "provider": refund.payment.provider},
        )
    if note.strip():
        refund.reason = f"{refund.reason} — {note.strip()}"
    refund.save(update_fields=["reason", "updated_at"])
    payment_status.refund_succeeded(order=order, refund=refund, actor=actor)
    return refund


@transaction.atomic
def refund_settle(*, refund_id: int, provider_id: str) -> Refund:
    """Record that the provider accepted a pending refund (once). Locks payment, order, refund:
    the order the refund webhook (charge.refunded) takes too."""
    order, refund = lock_refund_with_parents(refund_id)
    if refund.status != Refund.Status.PENDING:
        return refund
    refund.provider_id = provider_id
    payment_status.refund_succeeded(order=order, refund=refund, actor=refund.created_by)
    return refund


@transaction.atomic
def refund_fail(*, refund_id: int, error: str) -> Refund:
    """Record that the provider refused a pending refund (once). A card refund that no longer
    counts as ours may uncover money Stripe reported given back meanwhile (its dashboard): it
    was left out while our refund was pending (`_stripe_refunded_beyond_ours`), so it is
    counted after commit by the task `orders.refund_card_at_stripe_recount` (durable and
    retried like every background task: a recount that fails is tried again, then kept as a
    failed task an admin can retry)."""
    order, refund = lock_refund_with_parents(refund_id)
    if refund.status == Refund.Status.PENDING:
        payment_status.refund_failed(order=order, refund=refund, error=error)
        if refund.payment.provider == PaymentMethod.STRIPE and refund.payment.amount_refunded > 0:
            enqueue("orders.refund_card_at_stripe_recount", payment_id=refund.payment_id)
    return refund


def refund_card_at_stripe(
    *, payment: Payment, note: str, orders: list[Order] | None = None
) -> None:
    """Record on its orders what Stripe reported given back of a card payment beyond our refunds:
    an installment's charge on its export order (`refund_installment_card_at_stripe`), a
    checkout's charge on the orders it paid (`refund_checkout_card_at_stripe`; `orders` when
    the caller locked them already). Inside the caller's transaction, the payment locked."""
    if payment.order_id is not None:
        refund_installment_card_at_stripe(
            order=locks.lock_order(payment.order_id), payment=payment, note=note
        )
        return
    if orders is None:
        orders = locks.lock_orders_of_checkout(payment.checkout_id)
    refund_checkout_card_at_stripe(payment=payment, orders=orders, note=note)


@transaction.atomic
def refund_card_at_stripe_recount(*, payment_id: int) -> None:
    """After one of our card refunds failed: count what Stripe's last reported total for the
    payment gives back beyond our refunds now (nothing when it gave back only ours)."""
    payment = locks.lock_payment_by(pk=payment_id, provider=PaymentMethod.STRIPE)
    if payment is not None and payment.amount_refunded > 0:
        refund_card_at_stripe(payment=payment, note=f"stripe:{payment.provider_id}")


def stripe_refund_amount(refund: Refund) -> int:
    """A card refund in Stripe's smallest unit (USD cents: `payment_status.refund_part`, whose
    parts add up to exactly the charge)."""
    return money.to_minor(payment_status.refund_part(refund), refund.payment.currency)


def refund_submit(*, refund_id: int) -> Refund:
    """Send a pending card refund to Stripe with key f"refund:{id}" (no lock held during the
    call) and record the answer."""
    refund = Refund.objects.select_related("payment__checkout", "order").get(pk=refund_id)
    if refund.status != Refund.Status.PENDING:
        return refund
    try:
        provider_id = stripe_adapter.refund_create(
            intent_id=refund.payment.provider_id,
            amount=stripe_refund_amount(refund),
            metadata={"refund_id": str(refund.pk), "order": refund.order.code or ""},
            key=refund.stripe_idempotency_key(),
        )
    except stripe_adapter.StripeError as exc:
        return refund_fail(refund_id=refund.pk, error=str(exc))
    return refund_settle(refund_id=refund.pk, provider_id=provider_id)


def refund_submit_safe(*, refund_id: int) -> None:
    try:
        refund_submit(refund_id=refund_id)
    except Exception:
        log.exception("refund %s not submitted", refund_id)
