"""Refunds per cooperative order. Card payments go back through Stripe (after commit, with a key
derived from the refund id); bank transfers and cash are paid back by bank transfer.

The rule for money received for goods that will not be delivered (a paid order cancelled or
refused, refused lines, a card charge that arrived after its order was cancelled): `refund_owed`
queues exactly one refund for it in the same transaction as the change. Refunds are counted
against `Order.amount_paid_vnd`, so a second call finds nothing left to refund. The order's
payment status is derived from the succeeded refunds (`Order.derived_payment_status`), moved by
`orders.services.payment_status`. Locks: payment, order, refund (`orders.locks`)."""

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from market.models import User
from orders import money, stripe_adapter
from orders.errors import NotFound, ReasonRequired, RefundInvalid
from orders.locks import lock_refund_with_parents
from orders.models import Currency, Order, OrderEvent, Payment, PaymentMethod, Refund
from orders.services import payment_status
from orders.services.access import lock_order_for

log = logging.getLogger("htx.orders.refunds")


def _payment_for(order: Order) -> Payment | None:
    if order.payment_method == PaymentMethod.STRIPE:
        return Payment.objects.filter(
            checkout_id=order.checkout_id, provider=PaymentMethod.STRIPE
        ).first()
    return Payment.objects.filter(order=order).first()


def _submit_after_commit(refund: Refund) -> None:
    transaction.on_commit(lambda: refund_submit_safe(refund_id=refund.pk))


@transaction.atomic
def refund_create(*, actor: User, order_id: int, amount_vnd: int, reason: str) -> Refund:
    """Refund part or all of a paid order. Only the cooperative's staff or an admin may.

    Raises NotFound, ActionForbidden, ReasonRequired or RefundInvalid (unpaid order, amount not
    positive or above what is left to refund). Nothing changes when it raises."""
    order = lock_order_for(actor=actor, order_id=order_id, allowed={"coop", "admin"})
    if not (reason or "").strip():
        raise ReasonRequired(fields={"reason": [_("A reason is required.")]})
    payment = _payment_for(order)
    if not order.is_paid or payment is None or order.payment_status == Order.PaymentStatus.REFUNDED:
        raise RefundInvalid(
            _("Only paid orders can be refunded."), fields={"payment_status": order.payment_status}
        )
    left = payment_status.refundable_vnd(order)
    if not isinstance(amount_vnd, int) or amount_vnd <= 0 or amount_vnd > left:
        raise RefundInvalid(
            _("The amount must be between 1 and %(left)s ₫.") % {"left": f"{left:,}"},
            fields={"amount_vnd": amount_vnd, "refundable_vnd": left},
        )
    refund = payment_status.refund_open(
        order=order, payment=payment, amount_vnd=amount_vnd, reason=reason, actor=actor
    )
    if payment.provider == PaymentMethod.STRIPE:
        _submit_after_commit(refund)
    else:
        payment_status.refund_succeeded(order=order, refund=refund, actor=actor)
    return refund


def refund_owed(*, order: Order, amount_vnd: int, reason: str, actor: User | None) -> Refund | None:
    """Queue the refund of money received for goods that will not be delivered. Runs inside the
    caller's transaction with `order` locked; at most what is left to refund, so calling it twice
    for the same money creates nothing the second time. Card: submitted to Stripe after commit.
    Bank transfer / cash: PENDING until an admin pays it back and calls `refund_mark_paid_out`."""
    amount = min(int(amount_vnd), payment_status.refundable_vnd(order))
    payment = _payment_for(order)
    if not order.is_paid or payment is None or amount <= 0:
        return None
    refund = payment_status.refund_open(
        order=order, payment=payment, amount_vnd=amount, reason=reason, actor=actor
    )
    how = (
        _("to Stripe")
        if payment.provider == PaymentMethod.STRIPE
        else _("to pay back by bank transfer")
    )
    OrderEvent.objects.create(
        order=order,
        actor=actor,
        kind=OrderEvent.Kind.REFUND,
        from_status=order.payment_status,
        to_status=order.payment_status,
        note=_("Refund #%(id)s of %(amount)s ₫ queued (%(how)s): %(reason)s")
        % {"id": refund.pk, "amount": f"{amount:,}", "how": how, "reason": refund.reason},
    )
    if payment.provider == PaymentMethod.STRIPE:
        _submit_after_commit(refund)
    return refund


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
    """Record that the provider refused a pending refund (once)."""
    order, refund = lock_refund_with_parents(refund_id)
    if refund.status == Refund.Status.PENDING:
        payment_status.refund_failed(order=order, refund=refund, error=error)
    return refund


def stripe_refund_amount(refund: Refund) -> int:
    """USD cents for a refund: the difference of the charge's rounding (ceil of VND / rate) applied
    to the payment's refunded VND after and before this refund (earlier refunds by id, failed ones
    left out). The parts then add up to exactly the charge: rounding each refund on its own lost a
    cent per order."""
    payment = refund.payment
    if payment.currency == Currency.VND:
        return refund.amount_vnd
    rate = payment.checkout.usd_vnd_rate
    assert rate is not None  # a USD payment's checkout carries the rate it was quoted at
    earlier = sum(
        Refund.objects.filter(payment=payment, pk__lt=refund.pk)
        .exclude(status=Refund.Status.FAILED)
        .values_list("amount_vnd", flat=True)
    )
    part = money.usd(earlier + refund.amount_vnd, rate) - money.usd(earlier, rate)
    remaining = payment.amount - payment.amount_refunded
    return money.to_minor(min(part, remaining), Currency.USD)


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
