"""Bank transfers: confirmation by the cooperative or an admin, and bank-feed reconciliation.
Payment status moves through `orders.services.payment_status`; locks through `orders.locks`."""

import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from market.models import User
from orders.errors import PaymentAmountMismatch, PaymentNotConfirmable
from orders.locks import lock_order_and_payments
from orders.models import Order, PaymentMethod, PaymentWebhookEvent
from orders.services import payment_status
from orders.services.access import lock_order_for
from orders.services.webhooks import webhook_event_process

ORDER_CODE_RE = re.compile(r"HTX[\s\-_.]?(\d{4})[\s\-_.]?(\d{6,9})", re.IGNORECASE)


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
    payment_status.order_paid(order=order, actor=actor, note=" ".join(details))
    return order


def order_code_from_memo(memo: str) -> str | None:
    """Banks often strip dashes from memos: 'HTX2026000123' and 'htx-2026-000123' both match."""
    m = ORDER_CODE_RE.search(memo or "")
    return f"HTX-{m.group(1)}-{m.group(2)}" if m else None


def bankfeed_reconcile(
    *, transaction_id: str, amount_vnd: int, memo: str, payload: dict[str, Any]
) -> tuple[PaymentWebhookEvent, bool]:
    """Match one incoming bank transaction to an order by the code in its memo and the amount.
    Idempotent by the bank's transaction id; every transaction is stored with its result
    (paid, unmatched, amount_mismatch, already_paid, order_cancelled).
    Returns (event, duplicate)."""

    def handle(event: PaymentWebhookEvent) -> str:
        code = order_code_from_memo(memo)
        found = (
            Order.objects.filter(code=code).values_list("pk", flat=True).first() if code else None
        )
        if found is None:
            return "unmatched"
        order = lock_order_and_payments(found)
        if order.payment_method != PaymentMethod.BANK_TRANSFER:
            return "unmatched"
        if order.payment_status != Order.PaymentStatus.UNPAID:
            return "already_paid"
        if order.status in Order.STOCK_RELEASING:
            return "order_cancelled"  # money arrived after expiry: an admin refunds or re-opens
        if amount_vnd != order.total_vnd:
            return "amount_mismatch"
        payment_status.order_paid(
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
