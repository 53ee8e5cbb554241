"""Export trade pages: requests for quotation (post, list, compare and accept, close), quotes
(submit and revise), the message thread of an RFQ and a cooperative, the cooperative's demand
signal, and the export order page (schedule, wire and card payments, shipment, documents).

Every page reads through the quotes / orders selectors (404 for "missing or not yours") and
makes one service call per post."""

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.models import Category, Certification, Incoterm, Product, ProductFamily
from catalog.units import Unit
from frontend.views.card import STRIPE_CSP
from frontend.views.common import SignedInRequest, not_found_as_404, run_one
from market.errors import DomainError, NotFound
from market.models import Cooperative
from orders import export_documents
from orders.models import BalanceDue, Installment
from orders.selectors import order_get_for_actor
from orders.services import export as export_services
from quotes import selectors, services
from quotes.comparison import quote_comparison
from quotes.models import Quote


def _errors(request, exc: DomainError) -> None:
    messages.error(request, exc.message)
    for field, problems in (exc.fields or {}).items():
        if isinstance(problems, list | tuple):
            messages.error(request, f"{field}: {'; '.join(str(p) for p in problems)}")


@login_required
@require_GET
def rfq_list(request: SignedInRequest) -> HttpResponse:
    return render(
        request,
        "frontend/rfq/list.html",
        {
            "rfqs": selectors.rfq_list_for_actor(user=request.user)[:100],
            "coop_ids": selectors.staff_cooperative_ids(request.user),
        },
    )


def _id(data: dict, key: str) -> int:
    value = str(data.get(key) or "")
    return int(value) if value.isdecimal() and len(value) < 19 else 0


def _form_context(request, data: dict) -> dict:
    # `product_id`: the older links named the variant only.
    variant = (
        Product.objects.select_related("family")
        .filter(pk=_id(data, "variant_id") or _id(data, "product_id"), status="ACTIVE")
        .first()
    )
    family = (
        ProductFamily.objects.filter(pk=_id(data, "family_id"), variants__status="ACTIVE")
        .select_related("cooperative")
        .first()
        if _id(data, "family_id")
        else (variant.family if variant else None)
    )
    if variant is not None and family is not None and variant.family_id != family.pk:
        variant = None
    coop = Cooperative.objects.filter(pk=_id(data, "cooperative_id"), status="VERIFIED").first()
    return {
        "data": data,
        "family": family,
        "variant": variant,
        "cooperative": coop or (family.cooperative if family else None),
        "categories": Category.objects.order_by("name_en"),
        "units": Unit.choices,
        "incoterms": Incoterm.values,
        "certifications": Certification.Kind.choices,
    }


@login_required
@require_http_methods(["GET", "POST"])
def rfq_new(request: SignedInRequest) -> HttpResponse:
    """Post an RFQ: open, or from a product's / cooperative's "Request a quote" button."""
    if request.method == "GET":
        return render(request, "frontend/rfq/new.html", _form_context(request, request.GET.dict()))
    data = request.POST.dict()
    payload: dict[str, Any] = {
        **data,
        "certifications": request.POST.getlist("certifications"),
        "sample_wanted": bool(data.get("sample_wanted")),
        "direct": bool(data.get("direct")),
        "closes_at": f"{data.get('closes_on')}T23:59:00" if data.get("closes_on") else None,
    }
    for key in ("family_id", "variant_id", "product_id", "category_id", "cooperative_id"):
        payload[key] = _id(data, key) or None
    try:
        rfq = services.rfq_create(buyer=request.user, data=payload)
    except DomainError as exc:
        _errors(request, exc)
        return render(request, "frontend/rfq/new.html", _form_context(request, data), status=400)
    messages.success(
        request, _("Your request for quotation %(code)s is posted.") % {"code": rfq.code}
    )
    return redirect("frontend:rfq_detail", rfq_id=rfq.pk)


@login_required
@require_GET
@not_found_as_404
def rfq_detail(request: SignedInRequest, rfq_id: int) -> HttpResponse:
    access = selectors.rfq_get_for_actor(user=request.user, rfq_id=rfq_id)
    quotes = list(selectors.quote_list_for_actor(access=access))
    context = {"rfq": access.rfq, "access": access, "quotes": quotes}
    if access.is_buyer_side:
        currency = request.GET.get("currency", "")
        if currency not in ("USD", "VND"):
            currency = "USD"
        context["comparison"] = quote_comparison(rfq=access.rfq, quotes=quotes, currency=currency)
        context["accepted"] = next((q for q in quotes if q.status == Quote.Status.ACCEPTED), None)
    if "coop" in access.roles:
        coop_id = access.cooperative_ids[0]
        mine = next((q for q in quotes if q.cooperative_id == coop_id), None)
        context.update(
            coop_id=coop_id,
            mine=mine,
            products=Product.objects.filter(cooperative_id=coop_id, status="ACTIVE").order_by(
                "name_en"
            ),
            incoterms=Incoterm.values,
            balance_due=BalanceDue.choices,
            default_valid=timezone.localdate() + timedelta(days=14),
        )
    return render(request, "frontend/rfq/detail.html", context)


@login_required
@require_POST
@not_found_as_404
def quote_submit(request: SignedInRequest, rfq_id: int) -> HttpResponse:
    data = request.POST.dict()
    try:
        services.quote_submit(
            actor=request.user,
            rfq_id=rfq_id,
            cooperative_id=int(data["cooperative_id"])
            if data.get("cooperative_id", "").isdecimal()
            else None,
            data={
                **data,
                "product_id": int(data["product_id"])
                if data.get("product_id", "").isdecimal()
                else None,
            },
        )
        messages.success(request, _("Your quote is sent to the buyer."))
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        _errors(request, exc)
    return redirect("frontend:rfq_detail", rfq_id=rfq_id)


@login_required
@require_POST
@not_found_as_404
def quote_accept(request: SignedInRequest, rfq_id: int, quote_id: int) -> HttpResponse:
    if not Quote.objects.filter(pk=quote_id, rfq_id=rfq_id).exists():
        raise NotFound()
    raw = (request.POST.get("quantity") or "").strip()
    try:
        quantity = Decimal(raw) if raw else None
    except InvalidOperation:
        quantity = Decimal("-1")  # the service answers with a clear message
    run_one(
        request,
        lambda: services.quote_accept(actor=request.user, quote_id=quote_id, quantity=quantity),
        _("Quote accepted: your order and proforma invoice are ready."),
    )
    return redirect("frontend:rfq_detail", rfq_id=rfq_id)


@login_required
@require_POST
@not_found_as_404
def quote_withdraw(request: SignedInRequest, rfq_id: int, quote_id: int) -> HttpResponse:
    if not Quote.objects.filter(pk=quote_id, rfq_id=rfq_id).exists():
        raise NotFound()
    run_one(
        request,
        lambda: services.quote_withdraw(actor=request.user, quote_id=quote_id),
        _("Your quote is withdrawn."),
    )
    return redirect("frontend:rfq_detail", rfq_id=rfq_id)


@login_required
@require_POST
@not_found_as_404
def rfq_close(request: SignedInRequest, rfq_id: int) -> HttpResponse:
    run_one(
        request,
        lambda: services.rfq_close(actor=request.user, rfq_id=rfq_id),
        _("The request is closed: no new quotes can be sent."),
    )
    return redirect("frontend:rfq_detail", rfq_id=rfq_id)


@login_required
@require_http_methods(["GET", "POST"])
@not_found_as_404
def rfq_thread(request: SignedInRequest, rfq_id: int, coop_id: int) -> HttpResponse:
    access = selectors.rfq_get_for_actor(user=request.user, rfq_id=rfq_id)
    thread = selectors.message_list_for_actor(access=access, cooperative_id=coop_id)
    if request.method == "POST":
        ok = run_one(
            request,
            lambda: services.message_post(
                actor=request.user,
                rfq_id=rfq_id,
                cooperative_id=coop_id,
                body=request.POST.get("body", ""),
                file=request.FILES.get("file"),
            ),
        )
        if ok:
            return redirect("frontend:rfq_thread", rfq_id=rfq_id, coop_id=coop_id)
    return render(
        request,
        "frontend/rfq/thread.html",
        {
            "rfq": access.rfq,
            "messages_list": thread,
            "cooperative": Cooperative.objects.get(pk=coop_id),
        },
    )


@login_required
@require_GET
@not_found_as_404
def rfq_attachment(
    request: SignedInRequest, rfq_id: int, coop_id: int, message_id: int
) -> HttpResponse:
    from quotes.apis import MessageAttachmentApi

    access = selectors.rfq_get_for_actor(user=request.user, rfq_id=rfq_id)
    selectors.message_list_for_actor(access=access, cooperative_id=coop_id)
    return MessageAttachmentApi.as_view()(
        request, rfq_id=rfq_id, cooperative_id=coop_id, message_id=message_id
    )


@login_required
@require_GET
@not_found_as_404
def demand(request: SignedInRequest, coop_id: int) -> HttpResponse:
    if coop_id not in selectors.staff_cooperative_ids(request.user):
        raise NotFound()
    return render(
        request,
        "frontend/rfq/demand.html",
        {
            "coop": Cooperative.objects.get(pk=coop_id),
            "open_rfqs": selectors.rfq_list_for_cooperative_staff(
                user=request.user, cooperative_id=coop_id
            ).filter(status="OPEN")[:50],
            "monthly": selectors.demand_summary_for_cooperative(cooperative_id=coop_id),
        },
    )


# --- the export order page ---


def _export_order(request, code):
    order = order_get_for_actor(user=request.user, code=code)
    if not hasattr(order, "export"):
        raise NotFound()
    return order


@login_required
@require_GET
@not_found_as_404
def export_order(request: SignedInRequest, code: str) -> HttpResponse:
    order = _export_order(request, code)
    roles = export_services.export_roles(actor=request.user, order=order)
    return render(
        request,
        "frontend/rfq/export_order.html",
        {
            "order": order,
            "terms": order.export,
            "installments": order.installments.order_by("sequence").prefetch_related("receipts"),
            "wire": export_documents.wire_details(order),
            "is_buyer": "buyer" in roles,
            "is_seller": bool(roles & {"coop", "admin"}),
            # the buyer's shipping documents wait for the paid schedule (export_document_check)
            "documents_withheld": not (roles & {"coop", "admin"})
            and order.export.documents_released_at is None,
            "card_offered": bool(settings.STRIPE_SECRET_KEY),
            "shipment_fields": export_services.SHIPMENT_FIELDS,
        },
    )


def _back(code):
    return redirect("frontend:export_order", code=code)


@login_required
@require_POST
@not_found_as_404
def export_wire(request: SignedInRequest, code: str, installment_id: int) -> HttpResponse:
    order = _export_order(request, code)
    if not Installment.objects.filter(pk=installment_id, order=order).exists():
        raise NotFound()
    try:
        amount = Decimal((request.POST.get("amount") or "").replace(",", ""))
    except InvalidOperation:
        amount = Decimal("0")
    run_one(
        request,
        lambda: export_services.installment_wire_confirm(
            actor=request.user,
            installment_id=installment_id,
            amount=amount,
            bank_reference=request.POST.get("bank_reference", ""),
        ),
        _("The wire is recorded."),
    )
    return _back(code)


@login_required
@require_POST
@not_found_as_404
def export_move(request: SignedInRequest, code: str) -> HttpResponse:
    from orders.services.transitions import order_transition

    order = _export_order(request, code)
    to = request.POST.get("to", "")
    if to not in ("PACKED", "DELIVERED", "COMPLETED"):
        raise NotFound()
    run_one(request, lambda: order_transition(actor=request.user, order_id=order.pk, to=to))
    return _back(code)


@login_required
@require_POST
@not_found_as_404
def export_shipment(request: SignedInRequest, code: str) -> HttpResponse:
    order = _export_order(request, code)
    run_one(
        request,
        lambda: export_services.export_shipment_record(
            actor=request.user, order_id=order.pk, data=request.POST.dict()
        ),
        _("The shipment is recorded; the commercial invoice and packing list are ready."),
    )
    return _back(code)


@login_required
@require_POST
@not_found_as_404
def export_document_upload(request: SignedInRequest, code: str) -> HttpResponse:
    order = _export_order(request, code)
    run_one(
        request,
        lambda: export_services.export_transport_document_upload(
            actor=request.user,
            order_id=order.pk,
            kind=request.POST.get("kind", ""),
            file=request.FILES.get("file"),
        ),
        _(
            "The transport document is uploaded; the buyer can download it once the payment "
            "schedule is paid."
        ),
    )
    return _back(code)


def _document_allowed(request: SignedInRequest, order, document: str) -> bool:
    """A withheld document asked for by the buyer: the order page says why (and what is owed)."""
    return run_one(
        request,
        lambda: export_services.export_document_check(
            actor=request.user, order=order, document=document
        ),
    )


@login_required
@require_GET
@not_found_as_404
def export_pdf(request: SignedInRequest, code: str, name: str) -> HttpResponse:
    order = _export_order(request, code)
    builders = {
        "proforma": export_documents.proforma_pdf,
        "commercial-invoice": export_documents.commercial_invoice_pdf,
        "packing-list": export_documents.packing_list_pdf,
    }
    if name not in builders or (name != "proforma" and not order.export.shipment_complete):
        raise NotFound()
    if not _document_allowed(request, order, name):
        return _back(code)
    response = HttpResponse(builders[name](order), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}-{order.code}.pdf"'
    return response


@login_required
@require_GET
@not_found_as_404
def export_transport_document(request: SignedInRequest, code: str) -> HttpResponse:
    from orders.apis.export import TransportDocumentApi

    order = _export_order(request, code)
    if not _document_allowed(request, order, "transport-document"):
        return _back(code)
    return TransportDocumentApi.as_view()(request, code=code)


@login_required
@require_GET
@never_cache
@csp_update(STRIPE_CSP)
@not_found_as_404
def export_card(request: SignedInRequest, code: str, installment_id: int) -> HttpResponse:
    """Pay one installment by card: its own PaymentIntent, Stripe's Payment Element."""
    order = _export_order(request, code)
    installment = Installment.objects.filter(pk=installment_id, order=order).first()
    if installment is None:
        raise NotFound()
    context = {"order": order, "installment": installment, "payment": None, "error": ""}
    try:
        context["payment"] = export_services.installment_card_start(
            actor=request.user, installment_id=installment_id
        )
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        context["error"] = str(exc.message)
    context["return_url"] = request.build_absolute_uri(
        reverse("frontend:export_order", args=[order.code])
    )
    context["publishable_key"] = settings.STRIPE_PUBLISHABLE_KEY
    return render(request, "frontend/rfq/export_card.html", context)
