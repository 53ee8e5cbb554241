"""Stripe, for card payments by export buyers: one PaymentIntent per checkout, the webhook, and
refunds per cooperative order. Every Stripe call carries an idempotency key derived from our ids,
so a retried call (crash, double submit, second worker) can never create a second object."""

import logging
from decimal import Decimal

import stripe
from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from orders.errors import (
    PaymentProviderError,
    UnknownPayment,
    WebhookPayloadInvalid,
    WebhookSignatureInvalid,
)
from orders.models import (
    Currency,
    Order,
    OrderEvent,
    Payment,
    PaymentMethod,
    PaymentWebhookEvent,
    Refund,
)
from orders.services.payments import webhook_event_process

log = logging.getLogger("htx.orders.stripe")
_http_client = None  # tests may wrap the real HTTP client to inspect requests (process boundary)


def stripe_client() -> stripe.StripeClient:
    kwargs = {"max_network_retries": 2}
    if settings.STRIPE_API_BASE:
        kwargs["base_addresses"] = {"api": settings.STRIPE_API_BASE}
    if _http_client is not None:
        kwargs["http_client"] = _http_client
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY or "sk_test_missing", **kwargs)


def _intent_params(payment: Payment) -> dict:
    codes = ",".join(payment.checkout.orders.order_by("pk").values_list("code", flat=True))
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
    if not settings.STRIPE_SECRET_KEY:
        raise PaymentProviderError(
            fields={"provider": "stripe", "detail": "STRIPE_SECRET_KEY is not set"}
        )
    try:
        intent = stripe_client().v1.payment_intents.create(
            params=_intent_params(payment),
            options={"idempotency_key": payment.stripe_idempotency_key()},
        )
    except stripe.StripeError as exc:
        Payment.objects.filter(pk=payment.pk).update(last_error=str(exc)[:2000])
        raise PaymentProviderError(fields={"provider": "stripe"}) from exc
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
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
    payment = (
        Payment.objects.select_for_update()
        .select_related("checkout")
        .filter(checkout_id=checkout_id, provider=PaymentMethod.STRIPE)
        .first()
    )
    if payment is None or payment.status not in (Payment.Status.PENDING, Payment.Status.FAILED):
        return
    live = Order.objects.filter(checkout_id=checkout_id).exclude(status__in=Order.STOCK_RELEASING)
    if not live.exists():
        payment.status = Payment.Status.CANCELLED
        payment.save(update_fields=["status", "updated_at"])
        transaction.on_commit(lambda: payment_intent_cancel_safe(payment_id=payment.pk))
        return
    total_vnd = sum(live.values_list("total_vnd", flat=True))
    amount = _from_stripe_amount(payment, _stripe_amount_of(payment, total_vnd))
    if amount == payment.amount:
        return
    payment.amount, payment.amount_version = amount, payment.amount_version + 1
    payment.save(update_fields=["amount", "amount_version", "updated_at"])
    transaction.on_commit(lambda: payment_intent_update_safe(payment_id=payment.pk))


def payment_intent_update_safe(*, payment_id: int) -> None:
    """After commit: send the payment's current amount to its PaymentIntent, keyed by our ids and
    the amount version (a retry of the same change is one change at Stripe). No intent yet: the
    intent is created later with the current amount. Failures are logged and stored on the
    payment; a charge that beat the update is settled by the webhook (refunds)."""
    payment = Payment.objects.select_related("checkout").get(pk=payment_id)
    if not payment.provider_id or payment.status not in (
        Payment.Status.PENDING,
        Payment.Status.FAILED,
    ):
        return
    try:
        stripe_client().v1.payment_intents.update(
            payment.provider_id,
            params={
                "amount": payment.stripe_amount,
                "metadata": {"amount_version": str(payment.amount_version)},
            },
            options={"idempotency_key": payment.stripe_update_idempotency_key()},
        )
    except Exception as exc:
        log.exception("PaymentIntent %s amount not updated", payment.provider_id)
        Payment.objects.filter(pk=payment.pk).update(last_error=str(exc)[:2000])


def payment_intent_cancel_safe(*, payment_id: int) -> None:
    """After commit: cancel the PaymentIntent of a checkout whose orders were all cancelled."""
    payment = Payment.objects.get(pk=payment_id)
    if not payment.provider_id or payment.status != Payment.Status.CANCELLED:
        return
    try:
        stripe_client().v1.payment_intents.cancel(
            payment.provider_id,
            params={"cancellation_reason": "abandoned"},
            options={"idempotency_key": f"payment:{payment.pk}:cancel"},
        )
    except Exception as exc:
        log.exception("PaymentIntent %s not cancelled", payment.provider_id)
        Payment.objects.filter(pk=payment.pk).update(last_error=str(exc)[:2000])


# --- webhook ---


def stripe_webhook_handle(
    *, payload: bytes, sig_header: str | None
) -> tuple[PaymentWebhookEvent, bool]:
    """Verify a Stripe webhook on the raw body, store the event once, and apply it.

    Raises WebhookSignatureInvalid / WebhookPayloadInvalid (nothing stored) or UnknownPayment
    (nothing stored, Stripe retries). Returns (event, duplicate)."""
    if not sig_header or not settings.STRIPE_WEBHOOK_SECRET:
        raise WebhookSignatureInvalid()
    try:
        event = stripe.Webhook.construct_event(payload, sig_header, settings.STRIPE_WEBHOOK_SECRET)
    except stripe.SignatureVerificationError:
        raise WebhookSignatureInvalid()
    except ValueError:
        raise WebhookPayloadInvalid()
    data = event.to_dict()
    if not data.get("id") or not isinstance(data.get("data", {}).get("object"), dict):
        raise WebhookPayloadInvalid()
    return webhook_event_process(
        provider="stripe",
        event_id=data["id"],
        type=data.get("type", ""),
        payload=data,
        handler=_dispatch,
    )


def _dispatch(event: PaymentWebhookEvent) -> str:
    obj = event.payload["data"]["object"]
    if event.type == "payment_intent.succeeded" and (obj.get("metadata") or {}).get(
        "installment_id"
    ):
        from orders.services.export import on_installment_intent_succeeded

        return on_installment_intent_succeeded(obj)  # an export order's installment
    handler = HANDLERS.get(event.type)
    if handler is None:
        return "ignored"
    return handler(event.payload["data"]["object"])


def _lock_payment(obj: dict, intent_id: str | None) -> Payment:
    payment = None
    if intent_id:
        payment = (
            Payment.objects.select_for_update()
            .filter(provider=PaymentMethod.STRIPE, provider_id=intent_id)
            .first()
        )
    checkout_id = (obj.get("metadata") or {}).get("checkout_id")
    if payment is None and checkout_id and str(checkout_id).isdigit():
        # The event can beat us to storing the intent id (it is stored after Stripe answers).
        payment = (
            Payment.objects.select_for_update()
            .filter(provider=PaymentMethod.STRIPE, checkout_id=int(checkout_id))
            .first()
        )
        if payment is not None and intent_id and payment.provider_id not in ("", intent_id):
            payment = None
    if payment is None:
        raise UnknownPayment(fields={"payment_intent": intent_id})
    if intent_id and not payment.provider_id:
        payment.provider_id = intent_id
    return payment


def _from_stripe_amount(payment: Payment, amount: int) -> Decimal:
    return Decimal(amount) if payment.currency == Currency.VND else (Decimal(amount) / 100)


def _set_orders(payment: Payment, status: str, *, note: str, refunded_all: bool = False) -> None:
    for order in (
        Order.objects.select_for_update().filter(checkout_id=payment.checkout_id).order_by("pk")
    ):
        if order.payment_status == status:
            continue
        before = order.payment_status
        order.payment_status, order.reserved_until = status, None
        if refunded_all:  # the charge was refunded in full: it was received first
            order.amount_paid_vnd = order.amount_paid_vnd or order.total_vnd
            order.amount_refunded_vnd = order.amount_paid_vnd
        order.save(
            update_fields=[
                "payment_status",
                "reserved_until",
                "amount_paid_vnd",
                "amount_refunded_vnd",
                "updated_at",
            ]
        )
        OrderEvent.objects.create(
            order=order,
            kind=OrderEvent.Kind.PAYMENT,
            from_status=before,
            to_status=status,
            note=note,
        )


def on_intent_succeeded(obj: dict) -> str:
    """The charge went through. Orders still alive become PAID; an order cancelled (or expired)
    while the buyer was paying stays CANCELLED, and when the charge included it, it is marked
    paid and its share refunded (one Refund per order, after commit). A replay finds those
    orders already paid and creates nothing."""
    payment = _lock_payment(obj, obj.get("id"))
    orders = list(
        Order.objects.select_for_update().filter(checkout_id=payment.checkout_id).order_by("pk")
    )
    charged = _charged_orders(payment, orders, obj)
    if charged is None:
        payment.last_error = f"amount/currency mismatch: {obj.get('amount')} {obj.get('currency')}"
        payment.save(update_fields=["provider_id", "last_error", "updated_at"])
        return "amount_mismatch"
    payment.paid_at = payment.paid_at or timezone.now()
    if payment.status in (Payment.Status.REFUNDED, Payment.Status.PARTIALLY_REFUNDED):
        payment.save(update_fields=["provider_id", "paid_at", "updated_at"])
        return "already_refunded"  # the refund event came first; keep the refunded state
    # `amount` is what was received (it can be an older intent amount when the buyer paid before
    # our update reached Stripe).
    payment.status, payment.amount = (
        Payment.Status.SUCCEEDED,
        _from_stripe_amount(payment, obj["amount"]),
    )
    payment.save(update_fields=["provider_id", "status", "amount", "paid_at", "updated_at"])
    note = f"stripe:{obj.get('id')}"
    for order in charged:
        _order_paid(order, note=note)
    ended = [o for o in charged if o.status in Order.STOCK_RELEASING]
    for order in ended:
        _refund_late_charge(order)
    return "paid_with_refunds" if ended else "paid"


def _stripe_amount_of(payment: Payment, total_vnd: int) -> int:
    from orders.services.checkout import _usd

    if payment.currency == Currency.VND:
        return total_vnd
    return int((_usd(total_vnd, payment.checkout.usd_vnd_rate) * 100).to_integral_value())


def _charged_orders(payment: Payment, orders: list[Order], obj: dict) -> list[Order] | None:
    """The orders the charged amount paid for: the live ones, plus the cancelled ones whose
    cancellation had not yet lowered the intent (latest cancelled first). None: no match."""
    if (obj.get("currency") or "").upper() != payment.currency:
        return None
    live = [o for o in orders if o.status not in Order.STOCK_RELEASING]
    ended = sorted(
        (o for o in orders if o.status in Order.STOCK_RELEASING), key=_ended_at, reverse=True
    )
    for k in range(len(ended) + 1):
        chosen = live + ended[:k]
        if chosen and _stripe_amount_of(payment, sum(o.total_vnd for o in chosen)) == obj.get(
            "amount"
        ):
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


def _order_paid(order: Order, *, note: str) -> None:
    if order.payment_status != Order.PaymentStatus.UNPAID:
        return  # a replay: already paid (and refunded if cancelled)
    before = order.payment_status
    order.payment_status, order.reserved_until, order.amount_paid_vnd = (
        Order.PaymentStatus.PAID,
        None,
        order.total_vnd,
    )
    order.save(update_fields=["payment_status", "reserved_until", "amount_paid_vnd", "updated_at"])
    OrderEvent.objects.create(
        order=order,
        kind=OrderEvent.Kind.PAYMENT,
        from_status=before,
        to_status=order.payment_status,
        note=note,
    )


def _refund_late_charge(order: Order) -> None:
    from django.utils.translation import gettext as _

    from orders.services.refunds import refund_owed

    refund_owed(
        order=order,
        amount_vnd=order.amount_paid_vnd,
        actor=None,
        reason=_("Card payment received after the order was cancelled."),
    )


def on_intent_failed(obj: dict) -> str:
    payment = _lock_payment(obj, obj.get("id"))
    if payment.status != Payment.Status.PENDING:
        payment.save(update_fields=["provider_id", "updated_at"])
        return "stale"  # a failure reported after success (retries, reordering) changes nothing
    payment.status = Payment.Status.FAILED
    payment.last_error = ((obj.get("last_payment_error") or {}).get("message") or "failed")[:2000]
    payment.save(update_fields=["provider_id", "status", "last_error", "updated_at"])
    return "failed"


def on_charge_refunded(obj: dict) -> str:
    payment = _lock_payment(obj, obj.get("payment_intent"))
    refunded = _from_stripe_amount(payment, int(obj.get("amount_refunded") or 0))
    # Monotonic: events may arrive in any order, the largest refunded total wins.
    payment.amount_refunded = max(payment.amount_refunded, min(refunded, payment.amount))
    full = payment.amount_refunded >= payment.amount
    payment.status = Payment.Status.REFUNDED if full else Payment.Status.PARTIALLY_REFUNDED
    payment.paid_at = payment.paid_at or timezone.now()  # a refund implies the charge succeeded
    payment.save(
        update_fields=["provider_id", "amount_refunded", "status", "paid_at", "updated_at"]
    )
    if full:
        _set_orders(
            payment, Order.PaymentStatus.REFUNDED, note=f"stripe:{obj.get('id')}", refunded_all=True
        )
    return "refunded" if full else "partially_refunded"


HANDLERS = {
    "payment_intent.succeeded": on_intent_succeeded,
    "payment_intent.payment_failed": on_intent_failed,
    "charge.refunded": on_charge_refunded,
}


# --- refunds ---


def stripe_refund_amount(refund: Refund) -> int:
    """USD cents for a refund: the difference of the charge's rounding (ceil of VND / rate) applied
    to the payment's refunded VND after and before this refund (earlier refunds by id, failed ones
    left out). The parts then add up to exactly the charge: rounding each refund on its own lost a
    cent per order."""
    from orders.services.checkout import _usd

    payment = refund.payment
    if payment.currency == Currency.VND:
        return refund.amount_vnd
    rate = payment.checkout.usd_vnd_rate
    earlier = (
        Refund.objects.filter(payment=payment, pk__lt=refund.pk)
        .exclude(status=Refund.Status.FAILED)
        .aggregate(s=Sum("amount_vnd"))["s"]
        or 0
    )
    usd = _usd(earlier + refund.amount_vnd, rate) - _usd(earlier, rate)
    remaining = payment.amount - payment.amount_refunded
    return int((min(usd, remaining) * 100).to_integral_value())


def refund_submit(*, refund_id: int) -> Refund:
    """Send a pending refund to Stripe with key f"refund:{id}" and record the answer."""
    from orders.services.refunds import refund_settle

    refund = Refund.objects.select_related("payment__checkout").get(pk=refund_id)
    if refund.status != Refund.Status.PENDING:
        return refund
    try:
        result = stripe_client().v1.refunds.create(
            params={
                "payment_intent": refund.payment.provider_id,
                "amount": stripe_refund_amount(refund),
                "metadata": {"refund_id": str(refund.pk), "order": refund.order.code},
            },
            options={"idempotency_key": refund.stripe_idempotency_key()},
        )
    except stripe.StripeError as exc:
        Refund.objects.filter(pk=refund.pk).update(
            status=Refund.Status.FAILED, last_error=str(exc)[:2000]
        )
        refund.refresh_from_db()
        return refund
    return refund_settle(refund_id=refund.pk, provider_id=result.id)


def refund_submit_safe(*, refund_id: int) -> None:
    try:
        refund_submit(refund_id=refund_id)
    except Exception:
        log.exception("refund %s not submitted", refund_id)
