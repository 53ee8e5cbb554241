"""Card payments by export buyers, the domain side: one PaymentIntent per checkout, what a Stripe
event means for our payment and orders, and amount changes before payment. Every call to Stripe
goes through `orders.stripe_adapter` (API calls, webhook signature and parsing); every payment
status change through `orders.services.payment_status`; locks through `orders.locks` (payment,
then the checkout's orders)."""

import logging
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders import locks, money, stripe_adapter
from orders.errors import PaymentProviderError, UnknownPayment
from orders.models import Order, OrderEvent, Payment, PaymentMethod, PaymentWebhookEvent
from orders.services import payment_status
from orders.services.refunds import (
    refund_card_at_stripe,
    refund_checkout_card_at_stripe,
    refund_owed,
)
from orders.services.webhooks import webhook_event_process

log = logging.getLogger("htx.orders.stripe")


def _intent_params(payment: Payment) -> dict[str, Any]:
    codes = ",".join(
        code
        for code in payment.checkout.orders.order_by("pk").values_list("code", flat=True)
        if code
    )
    return {
        "amount": payment.stripe_amount,  # VND is zero-decimal at Stripe: never x100
        "currency": payment.currency.lower(),
        "automatic_payment_methods": {"enabled": True},
        "metadata": {
            "checkout_id": str(payment.checkout_id),
            "payment_id": str(payment.pk),
            "orders": codes[:500],
        },
        "description": f"HTX Market checkout {payment.checkout_id}",
    }


def payment_intent_ensure(*, checkout_id: int) -> Payment:
    """Create (or find again, by idempotency key) the checkout's PaymentIntent and store its id
    and client secret. The network call happens outside any transaction or row lock.
    Raises UnknownPayment when the checkout has no Stripe payment, PaymentProviderError."""
    payment = (
        Payment.objects.select_related("checkout")
        .filter(checkout_id=checkout_id, provider=PaymentMethod.STRIPE)
        .first()
    )
    if payment is None:
        raise UnknownPayment()
    if payment.provider_id:
        return payment
    if not stripe_adapter.configured():
        raise PaymentProviderError(
            fields={"provider": "stripe", "detail": "STRIPE_SECRET_KEY is not set"}
        )
    try:
        intent = stripe_adapter.intent_create(
            params=_intent_params(payment), key=payment.stripe_idempotency_key()
        )
    except stripe_adapter.StripeError as exc:
        payment_status.card_payment_error(payment_id=payment.pk, error=str(exc))
        raise PaymentProviderError(fields={"provider": "stripe"}) from exc
    with transaction.atomic():
        payment = locks.lock_payment_by(pk=payment.pk)
        assert payment is not None  # found just above; payments are never deleted
        if not payment.provider_id:
            payment.provider_id, payment.client_secret = intent.id, intent.client_secret or ""
            payment.save(update_fields=["provider_id", "client_secret", "updated_at"])
    return payment


def payment_intent_ensure_safe(*, checkout_id: int) -> None:
    """After-commit hook: a Stripe outage must not fail the committed checkout; the buyer's
    'pay' page calls payment_intent_ensure again with the same key."""
    try:
        payment_intent_ensure(checkout_id=checkout_id)
    except Exception:
        log.exception("PaymentIntent for checkout %s not created yet", checkout_id)


# --- amount changes before payment ---


def payment_intent_resync(*, checkout_id: int) -> None:
    """Inside the caller's transaction (payment locked first): make an unpaid card payment ask
    for the total of the checkout's live orders. A changed amount bumps `amount_version` and is
    sent to Stripe after commit; no live order left cancels the PaymentIntent."""
    payment = locks.lock_payment_by(checkout_id=checkout_id, provider=PaymentMethod.STRIPE)
    if payment is None or payment.status not in payment_status.OPEN:
        return
    live = Order.objects.filter(checkout_id=checkout_id).exclude(status__in=Order.STOCK_RELEASING)
    if not live.exists():
        payment_status.card_payment_cancel(payment=payment)
        transaction.on_commit(lambda: payment_intent_cancel_safe(payment_id=payment.pk))
        return
    total_vnd = sum(live.values_list("total_vnd", flat=True))
    minor = money.vnd_to_minor(total_vnd, payment.currency, payment.checkout.usd_vnd_rate)
    if payment_status.card_payment_amount_set(
        payment=payment, amount=money.from_minor(minor, payment.currency)
    ):
        transaction.on_commit(lambda: payment_intent_update_safe(payment_id=payment.pk))


def export_card_payments_cancel(*, order: Order) -> None:
    """An export order ended: its installments' open card payments are cancelled, and their
    PaymentIntents at Stripe after commit (a charge that still arrives is given back:
    `export.on_installment_intent_succeeded`). Inside the caller's transaction, order locked."""
    open_ids = list(
        Payment.objects.filter(
            order=order, provider=PaymentMethod.STRIPE, status__in=payment_status.OPEN
        ).values_list("pk", flat=True)
    )
    if not open_ids:
        return
    Payment.objects.filter(pk__in=open_ids).update(
        status=Payment.Status.CANCELLED, updated_at=timezone.now()
    )
    for payment_id in open_ids:
        transaction.on_commit(partial(payment_intent_cancel_safe, payment_id=payment_id))


def payment_intent_update_safe(*, payment_id: int) -> None:
    """After commit: send the payment's current amount to its PaymentIntent, keyed by our ids and
    the amount version (a retry of the same change is one change at Stripe). No intent yet: the
    intent is created later with the current amount. Failures are logged and stored on the
    payment; a charge that beat the update is settled by the webhook (refunds)."""
    payment = Payment.objects.get(pk=payment_id)
    if not payment.provider_id or payment.status not in payment_status.OPEN:
        return
    try:
        stripe_adapter.intent_update_amount(
            intent_id=payment.provider_id,
            amount=payment.stripe_amount,
            version=payment.amount_version,
            key=payment.stripe_update_idempotency_key(),
        )
    except Exception as exc:
        log.exception("PaymentIntent %s amount not updated", payment.provider_id)
        payment_status.card_payment_error(payment_id=payment.pk, error=str(exc))


def payment_excess_refund_safe(*, payment_id: int, amount: Decimal) -> None:
    """After commit: give back through Stripe the part of an installment's card charge that was
    never counted as the order's money (the installment was paid meanwhile by wire), with the
    key `payment:{id}:excess` (a retry is one refund at Stripe). A failure is kept on the
    payment (`last_error`) for an admin."""
    payment = Payment.objects.get(pk=payment_id)
    try:
        stripe_adapter.refund_create(
            intent_id=payment.provider_id,
            amount=money.to_minor(amount, payment.currency),
            metadata={"payment_id": str(payment.pk), "excess": str(amount)},
            key=f"payment:{payment.pk}:excess",
        )
    except Exception as exc:
        log.exception("excess of payment %s not refunded", payment.pk)
        payment_status.card_payment_error(payment_id=payment.pk, error=str(exc))


def payment_intent_cancel_safe(*, payment_id: int) -> None:
    """After commit: cancel the PaymentIntent of a checkout whose orders were all cancelled."""
    payment = Payment.objects.get(pk=payment_id)
    if not payment.provider_id or payment.status != Payment.Status.CANCELLED:
        return
    try:
        stripe_adapter.intent_cancel(
            intent_id=payment.provider_id, key=f"payment:{payment.pk}:cancel"
        )
    except Exception as exc:
        log.exception("PaymentIntent %s not cancelled", payment.provider_id)
        payment_status.card_payment_error(payment_id=payment.pk, error=str(exc))


# --- webhook ---


def stripe_webhook_handle(
    *, payload: bytes, sig_header: str | None
) -> tuple[PaymentWebhookEvent, bool]:
    """Verify a Stripe webhook on the raw body, store the event once, and apply it.

    Raises WebhookSignatureInvalid / WebhookPayloadInvalid (nothing stored) or UnknownPayment
    (nothing stored, Stripe retries). Returns (event, duplicate)."""
    event = stripe_adapter.webhook_parse(payload=payload, sig_header=sig_header)
    return webhook_event_process(
        provider="stripe",
        event_id=event.id,
        type=event.type,
        payload=event.payload,
        handler=_dispatch,
    )


# PaymentIntents that pay something other than a checkout, by the metadata key naming it
# (export installments: "installment_id"). The owning module registers its handler here
# (orders.services.export, imported by OrdersConfig.ready), so this module imports none of them.
INTENT_SUCCEEDED_BY_METADATA: dict[str, Callable[[dict[str, Any]], str]] = {}


def _dispatch(event: PaymentWebhookEvent) -> str:
    obj = event.payload["data"]["object"]
    if event.type == "payment_intent.succeeded":
        for key, by_metadata in INTENT_SUCCEEDED_BY_METADATA.items():
            if (obj.get("metadata") or {}).get(key):
                return by_metadata(obj)
    handler = HANDLERS.get(event.type)
    if handler is None:
        return "ignored"
    return handler(event.payload["data"]["object"])


def _lock_payment(obj: dict[str, Any], intent_id: str | None) -> Payment:
    payment = None
    if intent_id:
        payment = locks.lock_payment_by(provider=PaymentMethod.STRIPE, provider_id=intent_id)
    checkout_id = (obj.get("metadata") or {}).get("checkout_id")
    if payment is None and checkout_id and str(checkout_id).isdigit():
        # The event can beat us to storing the intent id (it is stored after Stripe answers).
        payment = locks.lock_payment_by(provider=PaymentMethod.STRIPE, checkout_id=int(checkout_id))
        if payment is not None and intent_id and payment.provider_id not in ("", intent_id):
            payment = None
    if payment is None:
        raise UnknownPayment(fields={"payment_intent": intent_id})
    if intent_id and not payment.provider_id:
        payment.provider_id = intent_id
    return payment


def on_intent_succeeded(obj: dict[str, Any]) -> str:
    """The charge went through. Orders still alive become PAID; an order cancelled (or expired)
    while the buyer was paying stays CANCELLED, and when the charge included it, it is marked
    paid and its share refunded (one Refund per order, after commit). A replay finds those
    orders already paid and creates nothing."""
    payment = _lock_payment(obj, obj.get("id"))
    orders = locks.lock_orders_of_checkout(payment.checkout_id)
    charged = _charged_orders(payment, orders, obj)
    if charged is None:
        payment.last_error = f"amount/currency mismatch: {obj.get('amount')} {obj.get('currency')}"
        payment.save(update_fields=["provider_id", "last_error", "updated_at"])
        return "amount_mismatch"
    received = money.from_minor(obj["amount"], payment.currency)
    if not payment_status.card_payment_succeeded(payment=payment, amount=received):
        return "already_refunded"  # the whole refund came first and was recorded then
    note = f"stripe:{obj.get('id')}"
    for order in charged:
        payment_status.order_paid(order=order, actor=None, note=note)
    ended = [o for o in charged if o.status in Order.STOCK_RELEASING]
    for order in ended:
        refund_owed(
            order=order,
            amount_vnd=order.amount_paid_vnd,
            actor=None,
            reason=_("Card payment received after the order was cancelled."),
        )
    if payment.amount_refunded > 0:
        # Stripe reported part of this charge refunded before the charge itself (events come in
        # any order): now that it is counted, that part is refunded (a replay finds it recorded)
        refund_checkout_card_at_stripe(payment=payment, orders=charged, note=note)
    return "paid_with_refunds" if ended else "paid"


def _charged_orders(
    payment: Payment, orders: list[Order], obj: dict[str, Any]
) -> list[Order] | None:
    """The orders the charged amount paid for: the live ones, plus the cancelled ones whose
    cancellation had not yet lowered the intent (latest cancelled first). None: no match."""
    if (obj.get("currency") or "").upper() != payment.currency:
        return None
    live = [o for o in orders if o.status not in Order.STOCK_RELEASING]
    ended = sorted(
        (o for o in orders if o.status in Order.STOCK_RELEASING), key=_ended_at, reverse=True
    )
    rate = payment.checkout.usd_vnd_rate
    for k in range(len(ended) + 1):
        chosen = live + ended[:k]
        total = sum(o.total_vnd for o in chosen)
        if chosen and money.vnd_to_minor(total, payment.currency, rate) == obj.get("amount"):
            return chosen
    return None


def _ended_at(order: Order) -> int:
    return (
        OrderEvent.objects.filter(
            order=order, kind=OrderEvent.Kind.STATUS, to_status__in=Order.STOCK_RELEASING
        )
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
        or 0
    )


def on_intent_failed(obj: dict[str, Any]) -> str:
    payment = _lock_payment(obj, obj.get("id"))
    error = (obj.get("last_payment_error") or {}).get("message") or "failed"
    return "failed" if payment_status.card_payment_failed(payment=payment, error=error) else "stale"


def on_charge_refunded(obj: dict[str, Any]) -> str:
    payment = _lock_payment(obj, obj.get("payment_intent"))
    refunded = money.from_minor(int(obj.get("amount_refunded") or 0), payment.currency)
    full = payment_status.card_payment_refunded_total(payment=payment, refunded=refunded)
    note = f"stripe:{obj.get('id')}"
    orders = None  # one installment's charge: refund_card_at_stripe locks its export order
    if payment.order_id is None:
        orders = locks.lock_orders_of_checkout(payment.checkout_id)
        if full and not any(o.amount_paid_vnd > 0 for o in orders):
            # the whole charge refunded before the charge was reported: a refund implies the
            # charge, so the orders it paid (all of them when its amount matches none) were
            # received, and are refunded in full just below
            for order in _charged_orders(payment, orders, obj) or orders:
                payment_status.order_paid(order=order, actor=None, note=note)
    # in part or whole: what Stripe gave back beyond our refunds, each order its share, once
    refund_card_at_stripe(payment=payment, note=note, orders=orders)
    return "refunded" if full else "partially_refunded"


HANDLERS = {
    "payment_intent.succeeded": on_intent_succeeded,
    "payment_intent.payment_failed": on_intent_failed,
    "charge.refunded": on_charge_refunded,
}
