"""Stripe webhook events as Stripe sends them: JSON bodies, signed with HMAC-SHA256 over
"t.payload" (what stripe-python checks), and posted to our webhook endpoint."""

import hashlib
import hmac
import json
import time

from rest_framework.test import APIClient

SECRET = "whsec_test_secret"
URL = "/api/v1/payments/stripe/webhook"


def sign(body: bytes, secret: str = SECRET, t: int | None = None) -> str:
    t = int(time.time()) if t is None else t
    sig = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={sig}"


def event(type_: str, obj: dict, event_id: str = "evt_1") -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": type_,
            "api_version": "2025-01-27",
            "data": {"object": obj},
        }
    ).encode()


def post(body: bytes, header: str | None):
    client = APIClient()
    extra = {"HTTP_STRIPE_SIGNATURE": header} if header is not None else {}
    return client.post(URL, data=body, content_type="application/json", **extra)


def succeeded(checkout, amount=None, currency="vnd", pi="pi_123"):
    return {
        "id": pi,
        "object": "payment_intent",
        "amount": checkout.total_vnd if amount is None else amount,
        "currency": currency,
        "status": "succeeded",
        "metadata": {"checkout_id": str(checkout.pk)},
    }


def record_stripe_calls(settings, monkeypatch) -> list[dict]:
    """Point the Stripe adapter at stripe-mock (STRIPE_MOCK_URL) and record every request it
    sends: method, url, headers and the form fields (one value each). A recording wrapper at the
    process boundary; each request still goes to stripe-mock and its answer comes back."""
    import os
    from urllib.parse import parse_qs

    import stripe

    from orders import stripe_adapter

    settings.STRIPE_API_BASE = os.environ.get("STRIPE_MOCK_URL", "")
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    client, calls = stripe.new_default_http_client(), []
    real = client.request_with_retries

    def recording(method, url, headers, post_data=None, *args, **kwargs):
        calls.append(
            {
                "method": method,
                "url": url,
                "headers": dict(headers),
                "data": {k: v[0] for k, v in parse_qs(post_data or "").items()},
            }
        )
        return real(method, url, headers, post_data, *args, **kwargs)

    client.request_with_retries = recording
    monkeypatch.setattr(stripe_adapter, "_http_client", client)
    return calls
