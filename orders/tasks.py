"""Background tasks of orders: the order mails and the expiry of unpaid orders."""

from celery import shared_task

from market.background import HtxTask, PermanentError
from orders.models import Order, OrderEvent, Refund
from orders.services import notifications


def _missing(exc: Exception, **ids) -> PermanentError:
    """A mail about a row that is gone cannot succeed later: fail for good, naming the row."""
    which = ", ".join(f"{k}={v}" for k, v in ids.items())
    return PermanentError(f"{which}: no such row any more ({exc})")


@shared_task(base=HtxTask, name="orders.mail_order_placed")
def mail_order_placed(*, order_id: int) -> int:
    try:
        return notifications.order_placed(order_id=order_id)
    except Order.DoesNotExist as exc:
        raise _missing(exc, order_id=order_id) from exc


@shared_task(base=HtxTask, name="orders.mail_orders_placed")
def mail_orders_placed(*, order_ids: list[int]) -> int:
    """The placement mails of one checkout's orders (an order that is gone is skipped)."""
    return notifications.orders_placed(order_ids=order_ids)


@shared_task(base=HtxTask, name="orders.mail_order_status_changed")
def mail_order_status_changed(*, order_id: int, event_id: int) -> int:
    try:
        return notifications.order_status_changed(order_id=order_id, event_id=event_id)
    except (Order.DoesNotExist, OrderEvent.DoesNotExist) as exc:
        raise _missing(exc, order_id=order_id, event_id=event_id) from exc


@shared_task(base=HtxTask, name="orders.mail_payment_received")
def mail_payment_received(*, order_id: int) -> int:
    try:
        return notifications.payment_received(order_id=order_id)
    except Order.DoesNotExist as exc:
        raise _missing(exc, order_id=order_id) from exc


@shared_task(base=HtxTask, name="orders.mail_payment_owed_again")
def mail_payment_owed_again(*, order_id: int, event_id: int) -> int:
    try:
        return notifications.payment_owed_again(order_id=order_id, event_id=event_id)
    except (Order.DoesNotExist, OrderEvent.DoesNotExist) as exc:
        raise _missing(exc, order_id=order_id, event_id=event_id) from exc


@shared_task(base=HtxTask, name="orders.mail_refunded_at_stripe")
def mail_refunded_at_stripe(*, order_id: int, refund_id: int) -> int:
    try:
        return notifications.refunded_at_stripe(order_id=order_id, refund_id=refund_id)
    except (Order.DoesNotExist, Refund.DoesNotExist) as exc:
        raise _missing(exc, order_id=order_id, refund_id=refund_id) from exc


@shared_task(base=HtxTask, name="orders.refund_card_at_stripe_recount")
def refund_card_at_stripe_recount(*, payment_id: int) -> None:
    """After one of our card refunds failed: count what Stripe reported given back beyond our
    refunds (idempotent: a second run finds nothing beyond)."""
    from orders.services.refunds import refund_card_at_stripe_recount as recount

    recount(payment_id=payment_id)


@shared_task(base=HtxTask, name="orders.expire_unpaid")
def expire_unpaid() -> dict:
    """Cancel unpaid orders past their payment window (releasing stock once) and purge old
    idempotency keys; hourly from beat. Safe to re-run: each order is locked and re-checked."""
    from orders.services.idempotency import idempotency_purge
    from orders.services.transitions import order_expire_unpaid

    expired, checked = order_expire_unpaid()
    return {"expired": expired, "checked": checked, "purged": idempotency_purge()}


@shared_task(base=HtxTask, name="orders.complete_delivered")
def complete_delivered() -> dict:
    """Complete orders delivered ORDER_AUTO_COMPLETE_DAYS ago with no open refund, releasing
    their money to the cooperative (ledger); nightly from beat. Each order is locked and
    re-checked, so overlapping runs complete an order once."""
    from orders.services.transitions import order_complete_delivered

    completed, checked = order_complete_delivered()
    return {"completed": completed, "checked": checked}
