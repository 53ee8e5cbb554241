"""Payment bookkeeping shared by the rails: marking orders paid, bank-transfer confirmation by
the cooperative or an admin, bank-feed reconciliation, and the once-only webhook event log."""

import re
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from market.models import User
from orders.errors import DomainError, PaymentAmountMismatch, PaymentNotConfirmable
from orders.models import Order, OrderEvent, Payment, PaymentMethod, PaymentWebhookEvent
from orders.services.transitions import lock_order_for

ORDER_CODE_RE = re.compile(r"HTX[\s\-_.]?(\d{4})[\s\-_.]?(\d{6,9})", re.IGNORECASE)


def order_mark_paid(*, order: Order, actor: User | None, note: str) -> None:
    """Set a locked order PAID (its pending payment row too), write the event, mail after commit."""
    from orders.services import notifications

    before = order.payment_status
    order.payment_status, order.reserved_until = Order.PaymentStatus.PAID, None
    order.amount_paid_vnd = order.total_vnd
    order.save(update_fields=["payment_status", "reserved_until", "amount_paid_vnd", "updated_at"])
    Payment.objects.filter(order=order, status=Payment.Status.PENDING).update(
        status=Payment.Status.SUCCEEDED, paid_at=timezone.now()
    )
    OrderEvent.objects.create(
        order=order,
        actor=actor,
        kind=OrderEvent.Kind.PAYMENT,
        from_status=before,
        to_status=order.payment_status,
        note=note,
    )
    transaction.on_commit(lambda: notifications.payment_received(order_id=order.pk))


@transaction.atomic
def payment_bank_transfer_confirm(
    *,
    actor: User,
    order_id: int,
    note: str = "",
    amount_vnd: int | None = None,
    bank_reference: str = "",
) -> Order:
    """The cooperative (or an admin) confirms the bank transfer for an order arrived. With
    `amount_vnd` (what the bank statement shows) it must equal the order's total; the amount and
    `bank_reference` (the bank's transaction number) are written into the payment event.

    Raises NotFound, ActionForbidden (the buyer cannot confirm their own payment),
    PaymentNotConfirmable (not a bank transfer, already paid, or the order was cancelled) or
    PaymentAmountMismatch (the amount received is not the order's total)."""
    order = lock_order_for(actor=actor, order_id=order_id, allowed={"coop", "admin"})
    if (
        order.payment_method != PaymentMethod.BANK_TRANSFER
        or order.payment_status != Order.PaymentStatus.UNPAID
        or order.status in Order.STOCK_RELEASING
    ):
        raise PaymentNotConfirmable(
            fields={
                "payment_method": order.payment_method,
                "payment_status": order.payment_status,
                "status": order.status,
            }
        )
    if amount_vnd is not None and amount_vnd != order.total_vnd:
        raise PaymentAmountMismatch(
            _("The amount received (%(got)s ₫) is not the order's total (%(total)s ₫).")
            % {
                "got": f"{amount_vnd:,}".replace(",", "."),
                "total": f"{order.total_vnd:,}".replace(",", "."),
            },
            fields={"amount_vnd": [_("It must equal the order's total.")]},
        )
    details = [note.strip() or "bank_transfer:confirmed"]
    if amount_vnd is not None:
        details.append(f"amount={amount_vnd}")
    if bank_reference.strip():
        details.append(f"ref={bank_reference.strip()}")
    order_mark_paid(order=order, actor=actor, note=" ".join(details))
    return order


def webhook_event_process(
    *,
    provider: str,
    event_id: str,
    type: str,
    payload: dict,
    handler: Callable[[PaymentWebhookEvent], str],
) -> tuple[PaymentWebhookEvent, bool]:
    """Store a provider event once by (provider, event_id) and run `handler` on it exactly once.

    Returns (event, duplicate). A DomainError from the handler rolls everything back (nothing
    stored) and propagates; any other error is recorded on the event (attempts, last_error) in a
    separate transaction and re-raised, so the provider retries."""
    try:
        return _process(
            provider=provider, event_id=event_id, type=type, payload=payload, handler=handler
        )
    except DomainError:
        raise
    except Exception as exc:
        _record_failure(
            provider=provider, event_id=event_id, type=type, payload=payload, error=repr(exc)
        )
        raise


@transaction.atomic
def _process(*, provider, event_id, type, payload, handler):
    # On PostgreSQL a concurrent duplicate blocks on the unique index until the first commits,
    # then finds its row here and sees processed_at set.
    PaymentWebhookEvent.objects.get_or_create(
        provider=provider, event_id=event_id, defaults={"type": type, "payload": payload}
    )
    event = PaymentWebhookEvent.objects.select_for_update().get(
        provider=provider, event_id=event_id
    )
    if event.processed_at is not None:
        return event, True
    event.attempts += 1
    event.result = handler(event)
    event.processed_at, event.last_error = timezone.now(), ""
    event.save(update_fields=["attempts", "result", "processed_at", "last_error"])
    return event, False


def _record_failure(*, provider, event_id, type, payload, error) -> None:
    try:
        with transaction.atomic():
            event, _c = PaymentWebhookEvent.objects.get_or_create(
                provider=provider, event_id=event_id, defaults={"type": type, "payload": payload}
            )
            PaymentWebhookEvent.objects.filter(pk=event.pk).update(
                attempts=event.attempts + 1, last_error=error[:2000]
            )
    except IntegrityError:
        pass


def order_code_from_memo(memo: str) -> str | None:
    """Banks often strip dashes from memos: 'HTX2026000123' and 'htx-2026-000123' both match."""
    m = ORDER_CODE_RE.search(memo or "")
    return f"HTX-{m.group(1)}-{m.group(2)}" if m else None


def bankfeed_reconcile(
    *, transaction_id: str, amount_vnd: int, memo: str, payload: dict
) -> tuple[PaymentWebhookEvent, bool]:
    """Match one incoming bank transaction to an order by the code in its memo and the amount.
    Idempotent by the bank's transaction id; every transaction is stored with its result
    (paid, unmatched, amount_mismatch, already_paid, order_cancelled).
    Returns (event, duplicate)."""

    def handle(event: PaymentWebhookEvent) -> str:
        code = order_code_from_memo(memo)
        order = Order.objects.select_for_update().filter(code=code).first() if code else None
        if order is None or order.payment_method != PaymentMethod.BANK_TRANSFER:
            return "unmatched"
        if order.payment_status != Order.PaymentStatus.UNPAID:
            return "already_paid"
        if order.status in Order.STOCK_RELEASING:
            return "order_cancelled"  # money arrived after expiry: an admin refunds or re-opens
        if amount_vnd != order.total_vnd:
            return "amount_mismatch"
        order_mark_paid(
            order=order,
            actor=None,
            note=_("Bank transfer %(id)s matched.") % {"id": transaction_id},
        )
        return "paid"

    return webhook_event_process(
        provider="bankfeed",
        event_id=transaction_id,
        type="bank.credit",
        payload=payload,
        handler=handle,
    )
