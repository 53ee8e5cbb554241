"""The Stripe adapter: every call to Stripe's API and the webhook's signature check and parsing.
No domain logic and no database here: `orders.services.stripe_payments` decides what an event
means for our orders; this module only talks to Stripe.

Every call carries an idempotency key derived from our ids (the caller passes it), so a retried
call (crash, double submit, second worker) can never create a second object at Stripe."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import stripe
from django.conf import settings

from orders.errors import WebhookPayloadInvalid, WebhookSignatureInvalid

if TYPE_CHECKING:
    from stripe.params import PaymentIntentCreateParams

StripeError = stripe.StripeError
_http_client = None  # tests may wrap the real HTTP client to inspect requests (process boundary)


def client() -> stripe.StripeClient:
    kwargs: dict[str, Any] = {"max_network_retries": 2}
    if settings.STRIPE_API_BASE:
        kwargs["base_addresses"] = {"api": settings.STRIPE_API_BASE}
    if _http_client is not None:
        kwargs["http_client"] = _http_client
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY or "sk_test_missing", **kwargs)


def configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def intent_create(*, params: dict[str, Any], key: str) -> stripe.PaymentIntent:
    """Create a PaymentIntent (returns Stripe's object: .id, .client_secret). Raises StripeError."""
    return client().v1.payment_intents.create(
        params=cast("PaymentIntentCreateParams", params), options={"idempotency_key": key}
    )


def intent_update_amount(*, intent_id: str, amount: int, version: int, key: str) -> None:
    client().v1.payment_intents.update(
        intent_id,
        params={"amount": amount, "metadata": {"amount_version": str(version)}},
        options={"idempotency_key": key},
    )


def intent_cancel(*, intent_id: str, key: str) -> None:
    client().v1.payment_intents.cancel(
        intent_id, params={"cancellation_reason": "abandoned"}, options={"idempotency_key": key}
    )


def refund_create(*, intent_id: str, amount: int, metadata: dict[str, str], key: str) -> str:
    """Refund part of a PaymentIntent; returns the Stripe refund id. Raises StripeError."""
    result = client().v1.refunds.create(
        params={"payment_intent": intent_id, "amount": amount, "metadata": metadata},
        options={"idempotency_key": key},
    )
    return result.id


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    object: dict[str, Any]  # data.object
    payload: dict[str, Any]  # the whole event, stored once by id


def webhook_parse(*, payload: bytes, sig_header: str | None) -> WebhookEvent:
    """Check the signature on the raw body and parse the event.
    Raises WebhookSignatureInvalid or WebhookPayloadInvalid."""
    if not sig_header or not settings.STRIPE_WEBHOOK_SECRET:
        raise WebhookSignatureInvalid()
    try:
        event = stripe.Webhook.construct_event(payload, sig_header, settings.STRIPE_WEBHOOK_SECRET)
    except stripe.SignatureVerificationError:
        raise WebhookSignatureInvalid()
    except ValueError:
        raise WebhookPayloadInvalid()
    data = event.to_dict()
    obj = data.get("data", {}).get("object")
    if not data.get("id") or not isinstance(obj, dict):
        raise WebhookPayloadInvalid()
    return WebhookEvent(id=data["id"], type=data.get("type", ""), object=obj, payload=data)
