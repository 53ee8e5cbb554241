"""Refunds per cooperative order. Card payments go back through Stripe (after commit, with a key
derived from the refund id); bank transfers and cash are paid back by the cooperative and
recorded here."""
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from market.models import User
from orders.errors import ActionForbidden, NotFound, ReasonRequired, RefundInvalid
from orders.models import Order, OrderEvent, Payment, PaymentMethod, Refund
from orders.services.transitions import _lock_order, actor_roles


def _refundable(order: Order) -> int:
    pending = order.refunds.filter(status=Refund.Status.PENDING).aggregate(s=Sum("amount_vnd"))["s"] or 0
    return order.total_vnd - order.amount_refunded_vnd - pending


def _payment_for(order: Order) -> Payment | None:
    if order.payment_method == PaymentMethod.STRIPE:
        return Payment.objects.filter(checkout_id=order.checkout_id, provider=PaymentMethod.STRIPE).first()
    return Payment.objects.filter(order=order).first()


@transaction.atomic
def refund_create(*, actor: User, order_id: int, amount_vnd: int, reason: str) -> Refund:
    """Refund part or all of a paid order. Only the cooperative's staff or an admin may.

    Raises NotFound, ActionForbidden, ReasonRequired or RefundInvalid (unpaid order, amount not
    positive or above what is left to refund)."""
    from orders.services import stripe_payments

    order = _lock_order(order_id)
    roles = actor_roles(actor=actor, order=order)
    if not roles:
        raise NotFound()
    if not roles & {"coop", "admin"}:
        raise ActionForbidden()
    if not (reason or "").strip():
        raise ReasonRequired(fields={"reason": [_("A reason is required.")]})
    payment = _payment_for(order)
    if not order.is_paid or payment is None or order.payment_status == Order.PaymentStatus.REFUNDED:
        raise RefundInvalid(_("Only paid orders can be refunded."), fields={"payment_status": order.payment_status})
    left = _refundable(order)
    if not isinstance(amount_vnd, int) or amount_vnd <= 0 or amount_vnd > left:
        raise RefundInvalid(_("The amount must be between 1 and %(left)s ₫.") % {"left": f"{left:,}"},
                            fields={"amount_vnd": amount_vnd, "refundable_vnd": left})
    refund = Refund.objects.create(order=order, payment=payment, amount_vnd=amount_vnd, reason=reason.strip(),
                                   created_by=actor)
    if payment.provider == PaymentMethod.STRIPE:
        transaction.on_commit(lambda: stripe_payments.refund_submit_safe(refund_id=refund.pk))
    else:
        _apply(order=order, refund=refund, actor=actor)
    return refund


def _apply(*, order: Order, refund: Refund, actor) -> None:
    refund.status = Refund.Status.SUCCEEDED
    refund.save(update_fields=["status", "provider_id", "updated_at"])
    before = order.payment_status
    order.amount_refunded_vnd += refund.amount_vnd
    order.payment_status = (Order.PaymentStatus.REFUNDED if order.amount_refunded_vnd >= order.total_vnd
                            else Order.PaymentStatus.PARTIALLY_REFUNDED)
    order.save(update_fields=["amount_refunded_vnd", "payment_status", "updated_at"])
    OrderEvent.objects.create(order=order, actor=actor, kind=OrderEvent.Kind.REFUND, from_status=before,
                              to_status=order.payment_status, note=f"{refund.amount_vnd:,} ₫: {refund.reason}")


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
