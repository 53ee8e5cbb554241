"""Refunds per cooperative order. Card payments go back through Stripe (after commit, with a key
derived from the refund id); bank transfers and cash are paid back by bank transfer.

The rule for money received for goods that will not be delivered (a paid order cancelled or
refused, refused lines, a card charge that arrived after its order was cancelled): `refund_owed`
queues exactly one refund for it in the same transaction as the change. Refunds are counted
against `Order.amount_paid_vnd`, so a second call finds nothing left to refund. The order's
payment status is derived from the succeeded refunds (`Order.derived_payment_status`)."""

from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from market.models import User
from orders.errors import NotFound, ReasonRequired, RefundInvalid
from orders.models import Order, OrderEvent, Payment, PaymentMethod, Refund
from orders.services.transitions import _lock_order, lock_order_for


def _refundable(order: Order) -> int:
    pending = (
        order.refunds.filter(status=Refund.Status.PENDING).aggregate(s=Sum("amount_vnd"))["s"] or 0
    )
    return order.amount_paid_vnd - order.amount_refunded_vnd - pending


def _payment_for(order: Order) -> Payment | None:
    if order.payment_method == PaymentMethod.STRIPE:
        return Payment.objects.filter(
            checkout_id=order.checkout_id, provider=PaymentMethod.STRIPE
        ).first()
    return Payment.objects.filter(order=order).first()


@transaction.atomic
def refund_create(*, actor: User, order_id: int, amount_vnd: int, reason: str) -> Refund:
    """Refund part or all of a paid order. Only the cooperative's staff or an admin may.

    Raises NotFound, ActionForbidden, ReasonRequired or RefundInvalid (unpaid order, amount not
    positive or above what is left to refund)."""
    from orders.services import stripe_payments

    order = lock_order_for(actor=actor, order_id=order_id, allowed={"coop", "admin"})
    if not (reason or "").strip():
        raise ReasonRequired(fields={"reason": [_("A reason is required.")]})
    payment = _payment_for(order)
    if not order.is_paid or payment is None or order.payment_status == Order.PaymentStatus.REFUNDED:
        raise RefundInvalid(
            _("Only paid orders can be refunded."), fields={"payment_status": order.payment_status}
        )
    left = _refundable(order)
    if not isinstance(amount_vnd, int) or amount_vnd <= 0 or amount_vnd > left:
        raise RefundInvalid(
            _("The amount must be between 1 and %(left)s ₫.") % {"left": f"{left:,}"},
            fields={"amount_vnd": amount_vnd, "refundable_vnd": left},
        )
    refund = Refund.objects.create(
        order=order, payment=payment, amount_vnd=amount_vnd, reason=reason.strip(), created_by=actor
    )
    if payment.provider == PaymentMethod.STRIPE:
        transaction.on_commit(lambda: stripe_payments.refund_submit_safe(refund_id=refund.pk))
    else:
        _apply(order=order, refund=refund, actor=actor)
    return refund


def refund_owed(*, order: Order, amount_vnd: int, reason: str, actor: User | None) -> Refund | None:
    """Queue the refund of money received for goods that will not be delivered. Runs inside the
    caller's transaction with `order` locked; at most what is left to refund, so calling it twice
    for the same money creates nothing the second time. Card: submitted to Stripe after commit.
    Bank transfer / cash: PENDING until an admin pays it back and calls `refund_mark_paid_out`."""
    from orders.services import stripe_payments

    amount = min(int(amount_vnd), _refundable(order))
    payment = _payment_for(order)
    if not order.is_paid or payment is None or amount <= 0:
        return None
    refund = Refund.objects.create(
        order=order, payment=payment, amount_vnd=amount, reason=reason.strip(), created_by=actor
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
        transaction.on_commit(lambda: stripe_payments.refund_submit_safe(refund_id=refund.pk))
    return refund


@transaction.atomic
def refund_mark_paid_out(*, actor: User, refund_id: int, note: str = "") -> Refund:
    """An admin records that a pending bank-transfer or cash refund was paid back to the buyer.

    Raises NotFound (no such refund; also for non-admins), RefundInvalid (not pending, or a card
    refund, which Stripe settles). Nothing changes when it raises."""
    if not (actor and actor.is_authenticated and actor.is_active and actor.is_platform_admin):
        raise NotFound()
    found = Refund.objects.filter(pk=refund_id).values_list("order_id", flat=True).first()
    if found is None:
        raise NotFound()
    order = _lock_order(found)  # order before refund: the same order as refund_settle
    refund = Refund.objects.select_for_update().select_related("payment").get(pk=refund_id)
    if refund.status != Refund.Status.PENDING or refund.payment.provider == PaymentMethod.STRIPE:
        raise RefundInvalid(
            _("Only a pending bank-transfer or cash refund can be marked as paid out."),
            fields={"status": refund.status, "provider": refund.payment.provider},
        )
    if note.strip():
        refund.reason = f"{refund.reason} — {note.strip()}"
    refund.save(update_fields=["reason", "updated_at"])
    _apply(order=order, refund=refund, actor=actor)
    return refund


def _apply(*, order: Order, refund: Refund, actor) -> None:
    refund.status = Refund.Status.SUCCEEDED
    refund.save(update_fields=["status", "provider_id", "updated_at"])
    before = order.payment_status
    order.amount_refunded_vnd += refund.amount_vnd
    order.payment_status = order.derived_payment_status()
    order.save(update_fields=["amount_refunded_vnd", "payment_status", "updated_at"])
    if refund.payment.provider != PaymentMethod.STRIPE:
        # VND, one payment per order; Stripe's own total arrives with charge.refunded (USD cents).
        Payment.objects.filter(pk=refund.payment_id).update(
            amount_refunded=F("amount_refunded") + refund.amount_vnd
        )
        payment = Payment.objects.get(pk=refund.payment_id)
        payment.status = (
            Payment.Status.REFUNDED
            if payment.amount_refunded >= payment.amount
            else Payment.Status.PARTIALLY_REFUNDED
        )
        payment.save(update_fields=["status", "updated_at"])
    OrderEvent.objects.create(
        order=order,
        actor=actor,
        kind=OrderEvent.Kind.REFUND,
        from_status=before,
        to_status=order.payment_status,
        note=f"{refund.amount_vnd:,} ₫: {refund.reason}",
    )


@transaction.atomic
def refund_settle(*, refund_id: int, provider_id: str) -> Refund:
    """Record that the provider accepted a pending refund (once)."""
    refund = Refund.objects.select_for_update().get(pk=refund_id)
    if refund.status != Refund.Status.PENDING:
        return refund
    order = _lock_order(refund.order_id)
    refund.provider_id = provider_id
    _apply(order=order, refund=refund, actor=refund.created_by)
    Payment.objects.filter(pk=refund.payment_id).update(updated_at=refund.updated_at)
    return refund
