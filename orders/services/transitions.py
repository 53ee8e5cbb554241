"""Order status moves. One service, `order_transition`, checks the table declared on `Order`
and the actor's rights, saves, releases stock when the order ends without shipping, writes the
OrderEvent in the same transaction, and sends mail after commit. Locks: payments, order, lines,
products (`orders.locks`); payment status moves through `orders.services.payment_status`."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.stock import lock_products, stock_increase
from market.background import enqueue
from market.models import User
from orders import ledger, locks, money
from orders.errors import (
    ActionForbidden,
    DomainError,
    NotFound,
    ReasonRequired,
    TrackingRequired,
    TransitionNotAllowed,
    ValidationFailed,
)
from orders.models import Order, OrderEvent, OrderLine, PaymentMethod, Refund
from orders.services import payment_status, stripe_payments
from orders.services.access import actor_roles
from orders.services.limits import reservation_hours
from orders.services.refunds import refund_owed

S = Order.Status


def _check_move(*, order: Order, to: str, roles: set[str], reason: str) -> None:
    if not roles:
        raise NotFound()  # not yours looks like missing
    if not roles & Order.TRANSITION_ACTORS.get(to, set()):
        raise ActionForbidden()
    if not order.can_move_to(to):
        raise TransitionNotAllowed(
            _("An order that is %(from)s cannot become %(to)s.")
            % {"from": order.get_status_display(), "to": S(to).label},
            fields={"status": order.status, "to": to},
        )
    if (
        to == S.CANCELLED
        and roles & {"coop", "admin", "system"} == set()
        and order.status != S.PLACED
    ):
        raise TransitionNotAllowed(
            _("You can cancel an order only before the cooperative confirms it."),
            fields={"status": order.status, "to": to},
        )
    if order.payment_method == PaymentMethod.INSTALLMENTS:
        _check_export_move(order=order, to=to, roles=roles)
    needs_reason = to == S.REFUSED or (to == S.CANCELLED and not roles & {"buyer", "system"})
    if needs_reason and not reason.strip():
        raise ReasonRequired(fields={"reason": [_("A reason is required.")]})


def _export_installments_due(*, order: Order, to: str) -> None:
    """An export order's installments due before shipment become due at packing, those due on
    arrival at shipment (EXPORT_PAYMENT_DAYS from today)."""
    from datetime import timedelta

    from django.conf import settings

    from orders.models import BalanceDue, Installment

    trigger = BalanceDue.BEFORE_SHIPMENT if to == S.PACKED else BalanceDue.ON_ARRIVAL
    days = int(getattr(settings, "EXPORT_PAYMENT_DAYS", 7))
    Installment.objects.filter(order=order, due=trigger, due_date__isnull=True).update(
        due_date=timezone.localdate() + timedelta(days=days)
    )


def _check_export_move(*, order: Order, to: str, roles: set[str]) -> None:
    """An export order goes into production when its deposit is paid (the system confirms it),
    and its goods are released (delivered) only once every installment is paid."""
    from orders.models import Installment

    # Cancelling gives back everything received, paid in full or in part (a deposit), each part
    # the way it came (`_refund_ended`). Who may: the buyer only before confirmation (a deposit
    # not complete yet); the cooperative or an admin, with a reason, until shipment. Keeping a
    # deposit the buyer forfeits is a trade-terms decision made outside the platform.
    if to == S.CONFIRMED and "system" not in roles:
        raise TransitionNotAllowed(
            _("An export order is confirmed when its deposit is paid."),
            fields={"status": order.status, "to": to},
        )
    if to == S.DELIVERED:
        unpaid = Installment.objects.filter(order=order, amount_paid__lt=models.F("amount"))
        if unpaid.exists():
            raise TransitionNotAllowed(
                _("The balance must be paid before the goods and documents are released."),
                fields={"status": order.status, "to": to},
            )


def release_stock(*, order: Order, lines: list[OrderLine], actor: User | None, reason: str) -> None:
    """Give back the stock of `lines` that still hold it. The `stock_released` flag, read and
    written under the order's row lock, makes a second release impossible."""
    pending = [ln for ln in lines if not ln.stock_released]
    if not pending:
        return
    products = lock_products(ln.product_id for ln in pending)
    for ln in sorted(pending, key=lambda x: x.product_id):
        stock_increase(
            product=products[ln.product_id], quantity=ln.quantity, reason=reason, actor=actor
        )
    OrderLine.objects.filter(pk__in=[ln.pk for ln in pending], stock_released=False).update(
        stock_released=True
    )


def _recompute_totals(order: Order) -> None:
    kept = [ln for ln in order.lines.all() if not ln.refused]
    order.subtotal_vnd = sum(ln.line_total_vnd for ln in kept)
    order.commission_vnd = money.commission_vnd(order.subtotal_vnd, order.commission_percent)
    order.total_vnd = order.subtotal_vnd + order.shipping_fee_vnd


def _refuse_lines(*, order: Order, refused: list[dict[str, Any]], actor: User | None) -> str | None:
    """Mark lines refused with a reason and release their stock; returns REFUSED when none is left."""
    by_id = {ln.pk: ln for ln in locks.lock_order_lines(order)}
    chosen = []
    for item in refused:
        line = by_id.get(int(item.get("line_id") or 0))
        if line is None or line.refused:
            raise ValidationFailed(
                fields={"refused_lines": [_("Unknown line %(id)s.") % {"id": item.get("line_id")}]}
            )
        if not (item.get("reason") or "").strip():
            raise ReasonRequired(
                fields={"refused_lines": [_("Give a reason for each refused line.")]}
            )
        line.refused, line.refused_reason = True, item["reason"].strip()
        chosen.append(line)
    for line in chosen:
        line.save(update_fields=["refused", "refused_reason"])
        OrderEvent.objects.create(
            order=order,
            actor=actor,
            kind=OrderEvent.Kind.LINE_REFUSED,
            note=f"{line.product_name}: {line.refused_reason}",
        )
    release_stock(order=order, lines=chosen, actor=actor, reason=f"order:{order.code}:line-refused")
    if all(ln.refused for ln in by_id.values()):
        return S.REFUSED  # the whole order ends: _on_enter refunds everything received
    _recompute_totals(order)
    _settle_refused_lines(order=order, lines=chosen, actor=actor)
    return None


def _settle_refused_lines(*, order: Order, lines: list[OrderLine], actor: User | None) -> None:
    """Money for refused lines: refunded when already received; otherwise the buyer is asked
    for less (the pending bank-transfer/cash payment follows the new total)."""
    if order.is_paid:
        names = ", ".join(ln.product_name for ln in lines)
        refund_owed(
            order=order,
            amount_vnd=sum(ln.line_total_vnd for ln in lines),
            actor=actor,
            reason=_("Lines refused by the cooperative: %(lines)s") % {"lines": names},
        )
        return
    payment_status.order_payments_follow_total(order=order)


def _on_enter(
    *,
    order: Order,
    to: str,
    actor: User | None,
    carrier: str,
    tracking_number: str,
    reason: str,
) -> list[str]:
    """Field changes for the new status; returns the names of changed fields."""
    changed = ["status"]
    if to == S.SHIPPED:
        if not carrier.strip() or not tracking_number.strip():
            raise TrackingRequired(
                fields={"carrier": [carrier], "tracking_number": [tracking_number]}
            )
        order.carrier, order.tracking_number = carrier.strip(), tracking_number.strip()
        changed += ["carrier", "tracking_number"]
    if to in Order.STOCK_RELEASING:
        order.cancel_reason = reason.strip()
        release_stock(
            order=order,
            lines=list(order.lines.all()),
            actor=actor,
            reason=f"order:{order.code}:{to.lower()}",
        )
        if order.payment_method == PaymentMethod.INSTALLMENTS:
            # its installments' open card payments, and their PaymentIntents after commit
            stripe_payments.export_card_payments_cancel(order=order)
        payment_status.order_payments_cancel(order=order)
        order.reserved_until = None
        changed += ["cancel_reason", "reserved_until"]
        if payment_status.order_ended_after_refunds(order=order):
            changed.append("payment_status")
        _refund_ended(order=order, to=to, actor=actor, reason=reason)
    if to == S.COMPLETED:
        # Escrow-style release: what is held for the order becomes the cooperative's, less the
        # commission (ledger postings in this transaction).
        ledger.post_release(order, actor=actor)
    if to == S.DELIVERED and order.payment_method == PaymentMethod.COD and not order.is_paid:
        # Cash on delivery: the courier collected the money at the door.
        payment_status.order_paid(order=order, actor=actor, note="cod")
    return changed


def _refund_ended(*, order: Order, to: str, actor: User | None, reason: str) -> None:
    """An order that is cancelled or refused gives back everything received for it: a paid one,
    and an export order paid in part (its deposit: card installments through Stripe, wires by
    bank transfer)."""
    if order.amount_paid_vnd > 0:
        label = _("Order cancelled") if to == S.CANCELLED else _("Order refused")
        refund_owed(
            order=order,
            amount_vnd=order.amount_paid_vnd,
            actor=actor,
            reason=f"{label}: {reason.strip()}" if reason.strip() else label,
        )


@transaction.atomic
def order_transition(
    *,
    actor: User | None,
    order_id: int,
    to: str,
    note: str = "",
    reason: str = "",
    carrier: str = "",
    tracking_number: str = "",
    refused_lines: list[dict[str, Any]] | None = None,
) -> Order:
    """Move an order to status `to`.

    Raises NotFound (missing or not visible to the actor), ActionForbidden (visible but not the
    actor's move), TransitionNotAllowed (not allowed from the current status), ReasonRequired,
    TrackingRequired or ValidationFailed (bad refused lines). Nothing changes when it raises."""
    order = locks.lock_order_and_payments(order_id)
    roles = actor_roles(actor=actor, order=order)
    _check_move(order=order, to=to, roles=roles, reason=reason)
    if refused_lines and to != S.CONFIRMED:
        raise ValidationFailed(
            fields={"refused_lines": [_("Lines can be refused only when confirming.")]}
        )
    if refused_lines:
        to = _refuse_lines(order=order, refused=refused_lines, actor=actor) or to
        if to == S.REFUSED and not reason:
            reason = "; ".join(ln["reason"] for ln in refused_lines)
    before = order.status
    changed = _on_enter(
        order=order,
        to=to,
        actor=actor,
        carrier=carrier,
        tracking_number=tracking_number,
        reason=reason,
    )
    order.status = to
    order.save(
        update_fields=[*changed, "subtotal_vnd", "commission_vnd", "total_vnd", "updated_at"]
    )
    event = OrderEvent.objects.create(
        order=order, actor=actor, from_status=before, to_status=to, note=(reason or note).strip()
    )
    if order.payment_method == PaymentMethod.INSTALLMENTS and to in (S.PACKED, S.SHIPPED):
        _export_installments_due(order=order, to=to)
    if (
        order.payment_method == PaymentMethod.STRIPE
        and not order.is_paid
        and (refused_lines or to in Order.STOCK_RELEASING)
    ):
        stripe_payments.payment_intent_resync(checkout_id=order.checkout_id)
    enqueue("orders.mail_order_status_changed", order_id=order.pk, event_id=event.pk)
    return order


def order_expire_unpaid(
    *, now: datetime | None = None, progress: Callable[[int, int], object] | None = None
) -> tuple[int, int]:
    """Cancel unpaid orders (bank transfer, card) whose reservation ran out, releasing their stock.
    Each order in its own transaction; re-checked under its lock. Returns (expired, checked)."""
    now = now or timezone.now()
    ids = list(
        Order.objects.filter(
            payment_status=Order.PaymentStatus.UNPAID,
            reserved_until__lt=now,
            status__in=[S.PLACED, S.CONFIRMED, S.PACKED],
        )
        .exclude(payment_method=PaymentMethod.COD)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    expired = 0
    for i, order_id in enumerate(ids, 1):
        expired += _expire_one(order_id=order_id, now=now)
        if progress:
            progress(i, len(ids))
    return expired, len(ids)


@transaction.atomic
def _expire_one(*, order_id: int, now: datetime) -> int:
    order = locks.lock_order_and_payments(order_id)  # payments first, as the webhook does
    still_due = (
        order.payment_status == Order.PaymentStatus.UNPAID
        and order.reserved_until
        and order.reserved_until < now
        and order.amount_paid_vnd == 0  # an export order paid in part is not "unpaid"
        and order.can_move_to(S.CANCELLED)
    )
    if not still_due:
        return 0  # paid or moved meanwhile
    order_transition(
        actor=None,
        order_id=order_id,
        to=S.CANCELLED,
        reason=_("Not paid within %(hours)s hours.")
        % {"hours": reservation_hours(order.payment_method)},
    )
    return 1


def order_complete_delivered(
    *, now: datetime | None = None, progress: Callable[[int, int], object] | None = None
) -> tuple[int, int]:
    """Complete orders DELIVERED at least `ORDER_AUTO_COMPLETE_DAYS` ago with no refund on its
    way (a pending refund is an open dispute), which releases their money to the cooperative.
    Each order in its own transaction, re-checked under its lock. Returns (completed, checked)."""
    from django.conf import settings

    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ORDER_AUTO_COMPLETE_DAYS)
    delivered_long_ago = OrderEvent.objects.filter(
        order=OuterRef("pk"),
        kind=OrderEvent.Kind.STATUS,
        to_status=S.DELIVERED,
        created_at__lte=cutoff,
    )
    disputed = Refund.objects.filter(order=OuterRef("pk"), status=Refund.Status.PENDING)
    ids = list(
        Order.objects.filter(status=S.DELIVERED)
        .filter(Exists(delivered_long_ago))
        .exclude(Exists(disputed))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    done = 0
    for i, order_id in enumerate(ids, 1):
        try:
            order_transition(
                actor=None,
                order_id=order_id,
                to=S.COMPLETED,
                note=_("Completed automatically %(days)s days after delivery.")
                % {"days": settings.ORDER_AUTO_COMPLETE_DAYS},
            )
            done += 1
        except DomainError:
            pass  # moved meanwhile (the buyer completed it)
        if progress:
            progress(i, len(ids))
    return done, len(ids)


def order_transition_bulk(*, actor: User, order_ids: list[int], to: str) -> dict[int, str]:
    """Apply one move (confirm, pack) to many orders, each in its own transaction, so one
    refused order does not hold back the others. Returns {order_id: "ok" or an error code}."""
    results = {}
    for order_id in order_ids:
        try:
            order_transition(actor=actor, order_id=order_id, to=to)
            results[order_id] = "ok"
        except DomainError as exc:
            results[order_id] = exc.code
    return results
