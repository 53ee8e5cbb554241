"""Checkout (address in Vietnam with province → ward, or export with country and Incoterm; payment choice), the placed checkout with VietQR,
order history and the order page with its timeline. All of it works without JavaScript."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontend import cart_session, reads
from frontend.countries import export_country_choices
from frontend.forms import CheckoutForm, add_domain_errors
from frontend.views.common import (
    SignedInRequest,
    not_found_as_404,
    province_code,
    run_one,
    ward_list,
)
from market.cooperatives import selectors as market_selectors
from market.errors import DomainError
from orders import selectors as order_selectors
from orders.models import Currency, Order, PaymentMethod
from orders.services.cart import cart_refresh
from orders.services.checkout import ShippingAddress, checkout_place
from orders.services.transitions import order_transition


def _payment_choices():
    """The enabled methods; "stripe" is there only when orders has a Stripe key (settings)."""
    labels = dict(PaymentMethod.choices)
    methods = [(m, labels[m]) for m in settings.PAYMENT_METHODS if m in labels]
    # Buyers abroad always have the international wire (no keys needed); the page shows it for
    # export only, and VietQR / cash on delivery for Vietnam only.
    return methods + [(PaymentMethod.INSTALLMENTS, _("International wire (SWIFT)"))]


_KEPT_ON_RELOAD = (
    "destination",
    "recipient_name",
    "recipient_phone",
    "address_line",
    "country",
    "export_address_line1",
    "export_address_line2",
    "city",
    "postal_code",
    "incoterm",
    "payment_method",
    "currency",
    "token",
)


def _initial(request, province, methods, saved) -> dict:
    initial = {
        "token": uuid.uuid4().hex,
        "province_code": province,
        "payment_method": PaymentMethod.BANK_TRANSFER,
        "currency": Currency.VND,
        "recipient_name": request.user.full_name,
        "recipient_phone": request.user.phone,
        "destination": CheckoutForm.DOMESTIC,
    }
    initial.update(saved)  # the last checkout's name, phone and address: typed once, offered again
    initial["province_code"] = province  # "show wards" (no JS) may have chosen another one
    country = reads.buyer_country(user=request.user)
    if country != CheckoutForm.DOMESTIC and not saved:
        # An importer abroad: export to their country, and by card in USD when card payment is on.
        initial.update(
            {
                "destination": CheckoutForm.EXPORT,
                "country": country,
                "payment_method": PaymentMethod.INSTALLMENTS,
            }
        )
        if any(m == PaymentMethod.STRIPE for m, _l in methods):
            initial.update({"payment_method": PaymentMethod.STRIPE, "currency": Currency.USD})
    # Without JS, "show wards" reloads the page by GET: keep what the buyer already typed.
    initial.update({k: request.GET[k] for k in _KEPT_ON_RELOAD if request.GET.get(k)})
    return initial


def _checkout_form(request, data, cart):
    saved = {} if data is not None else reads.saved_address(user=request.user)
    province = province_code((data or request.GET).get("province_code")) or saved.get(
        "province_code"
    )
    methods = _payment_choices()
    incoterms, narrowed = reads.cart_incoterms(cart=cart)
    provinces = market_selectors.province_list_for_picker()
    by_code = {p.code: p for p in provinces}
    form = CheckoutForm(
        data,
        provinces=provinces,
        common_provinces=[
            by_code[c] for c in order_selectors.province_codes_most_shipped_to() if c in by_code
        ],
        wards=ward_list(province),
        payment_methods=methods,
        card_offered=any(m == PaymentMethod.STRIPE for m, _l in methods),
        countries=export_country_choices(),
        incoterms=incoterms,
        initial=_initial(request, province, methods, saved),
    )
    if narrowed:
        form.fields["incoterm"].help_text = _(
            "Only the terms every cooperative in your cart offers."
        )
    return form


def _address(form) -> ShippingAddress:
    d = form.cleaned_data
    common = {"recipient_name": d["recipient_name"], "recipient_phone": d["recipient_phone"]}
    if form.is_export:
        return ShippingAddress(
            **common,
            address_line=form.export_address_line(),
            country=d["country"],
            city=d["city"],
            postal_code=d["postal_code"],
            incoterm=d["incoterm"],
        )
    return ShippingAddress(
        **common,
        address_line=d["address_line"],
        province_code=d["province_code"],
        ward_code=d["ward_code"] or None,
    )


# orders names the one address line `address_line`; on the export fieldset it is line 1.
_EXPORT_FIELD_NAMES = {"address_line": "export_address_line1"}


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request: SignedInRequest) -> HttpResponse:
    cart = cart_session.current(request)
    form = _checkout_form(request, request.POST if request.method == "POST" else None, cart)
    if request.method == "POST":
        if form.is_valid():
            try:
                # The request's one domain call. Orders refuses cash on delivery abroad and USD
                # for anything but card; its messages show next to the fields they concern.
                d = form.cleaned_data
                placed = checkout_place(
                    buyer=request.user,
                    cart=cart,
                    payment_method=d["payment_method"],
                    currency=d.get("currency") or Currency.VND,
                    address=_address(form),
                    idempotency_key=f"web:{d['token']}",
                )
            except DomainError as exc:
                add_domain_errors(
                    form, exc, renamed=_EXPORT_FIELD_NAMES if form.is_export else None
                )
            else:
                if placed.payment_method == PaymentMethod.STRIPE:
                    return redirect("frontend:checkout_pay", pk=placed.pk)
                return redirect("frontend:checkout_done", pk=placed.pk)
        view = reads.cart_summary(cart=cart)
        return render(
            request,
            "frontend/orders/checkout.html",
            {"form": form, "view": view, "summary": reads.checkout_groups(view=view)},
        )
    view = cart_refresh(cart=cart)
    if not view.lines:
        messages.info(request, _("Your cart is empty."))
        return redirect("frontend:cart")
    return render(
        request,
        "frontend/orders/checkout.html",
        {"form": form, "view": view, "summary": reads.checkout_groups(view=view)},
    )


@require_GET
def wards(request: HttpRequest) -> HttpResponse:
    """The ward <select> for a province (htmx swaps it in when the province changes)."""
    province = province_code(request.GET.get("province_code"))
    form = CheckoutForm(provinces=[], wards=ward_list(province), payment_methods=[])
    return HttpResponse(form["ward_code"].as_widget())


@login_required
@require_GET
@not_found_as_404
def checkout_done(request: SignedInRequest, pk: int) -> HttpResponse:
    return render(
        request,
        "frontend/orders/checkout_done.html",
        reads.checkout_for_buyer(user=request.user, pk=pk),
    )


@login_required
@require_GET
@not_found_as_404
def order_vietqr(request: SignedInRequest, code: str) -> HttpResponse:
    """The VietQR for one unpaid bank-transfer order, as SVG (served by us: no third party)."""
    return HttpResponse(
        reads.order_vietqr_image(user=request.user, code=code), content_type="image/svg+xml"
    )


@login_required
@require_GET
@not_found_as_404
def order_vietqr_png(request: SignedInRequest, code: str) -> HttpResponse:
    """The same VietQR as a PNG attachment: "save QR image" puts it in the phone's gallery, and
    the buyer opens it from their banking app's "scan from image"."""
    response = HttpResponse(
        reads.order_vietqr_image(user=request.user, code=code, kind="png"),
        content_type="image/png",
    )
    response["Content-Disposition"] = f'attachment; filename="VietQR-{code}.png"'
    return response


def _buyer_move(request, code, to, ok_message, reason=""):
    """One buyer move on their own order (orders checks it is theirs and allowed now)."""
    order = reads.order_for_actor(user=request.user, code=code)["order"]
    run_one(
        request,
        lambda: order_transition(actor=request.user, order_id=order.pk, to=to, reason=reason),
        ok_message,
    )
    return redirect("frontend:order_detail", code=order.code)


@login_required
@require_POST
@not_found_as_404
def order_cancel(request: SignedInRequest, code: str) -> HttpResponse:
    """The buyer cancels before the cooperative confirms (the reason is optional for them)."""
    return _buyer_move(
        request,
        code,
        Order.Status.CANCELLED,
        _("Your order is cancelled."),
        reason=(request.POST.get("reason") or "").strip()[:1000],
    )


@login_required
@require_POST
@not_found_as_404
def order_received(request: SignedInRequest, code: str) -> HttpResponse:
    """ "I received the goods": the buyer completes a delivered order."""
    return _buyer_move(
        request, code, Order.Status.COMPLETED, _("Thank you: the order is completed.")
    )


@login_required
@require_GET
def order_list(request: SignedInRequest) -> HttpResponse:
    return render(
        request,
        "frontend/orders/order_list.html",
        {"orders": reads.orders_for_buyer(user=request.user)},
    )


@login_required
@require_GET
@not_found_as_404
def order_detail(request: SignedInRequest, code: str) -> HttpResponse:
    # Stripe sends the buyer back here with ?redirect_status=...; the order says "paid" only once
    # the webhook has confirmed it, until then the page shows "payment processing".
    data = reads.order_for_actor(user=request.user, code=code)
    data["card"] = reads.card_state(
        order=data["order"], redirect_status=request.GET.get("redirect_status", "")
    )
    return render(request, "frontend/orders/order_detail.html", data)
