"""Card payment (Stripe) for a placed checkout: the page mounts Stripe's Payment Element.

Stripe.js must be loaded from js.stripe.com and runs in Stripe's frames, so only this page widens
the CSP (csp_update below); every other page keeps the global 'self'-only policy."""

from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from frontend import reads
from frontend.views.common import SignedInRequest, not_found_as_404
from market.errors import DomainError
from orders.services.stripe_payments import payment_intent_ensure

STRIPE_JS = "https://js.stripe.com"
STRIPE_CSP = {
    "script-src": [STRIPE_JS],
    "frame-src": [STRIPE_JS, "https://hooks.stripe.com"],
    "connect-src": ["https://api.stripe.com"],
}


@login_required
@require_GET
@never_cache  # the page carries the PaymentIntent's client secret: no shared or back-button cache
@csp_update(STRIPE_CSP)
@not_found_as_404
def checkout_pay(request: SignedInRequest, pk: int) -> HttpResponse:
    data = reads.card_payment_for_buyer(user=request.user, pk=pk)
    data["error"] = ""
    payment = data["payment"]
    if data["payable"] and not payment.client_secret:
        # The after-commit call that creates the PaymentIntent failed (Stripe down); the same
        # idempotency key makes this retry return the intent if Stripe did create it.
        try:
            data["payment"] = payment_intent_ensure(checkout_id=data["checkout"].pk)
        except DomainError as exc:
            data["error"] = str(exc.message)
    first = data["orders"][0] if data["orders"] else None
    data["return_url"] = (
        request.build_absolute_uri(reverse("frontend:order_detail", args=[first.code]))
        if first
        else ""
    )
    data["publishable_key"] = settings.STRIPE_PUBLISHABLE_KEY
    data["unpaid_hours"] = settings.ORDER_UNPAID_TIMEOUT_HOURS
    return render(request, "frontend/orders/checkout_pay.html", data)
