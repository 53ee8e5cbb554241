"""The cooperative's order desk: every move the order flow allows (confirm, refuse with a reason,
pack, ship with carrier and tracking, delivered, cancel with a reason), "bank transfer received"
with the amount and the bank reference, and the printable packing slip and invoice.

Each post makes one domain call (orders' `order_transition` or `payment_bank_transfer_confirm`)
and comes back to the desk tab it was sent from. Confirming or shipping a bank-transfer order that
is not paid needs an explicit "I know it is not paid" tick: the desk shows the warning on the card,
and a post without the tick is answered with the warning and changes nothing."""

import functools
import hashlib
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.db.models import Field
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from frontend import reads
from frontend.forms import BankTransferReceivedForm, TransitionForm
from frontend.views.common import SignedInRequest, page_params, run_one
from frontend.views.coop import coop_staff
from market.models import Cooperative
from market.shared import pagecache
from orders import selectors as order_selectors
from orders.models import Order
from orders.services.payments import payment_bank_transfer_confirm
from orders.services.transitions import order_transition

S = Order.Status
# Moves the desk offers (the orders app decides whether each is allowed right now).
DESK_MOVES = {S.CONFIRMED, S.REFUSED, S.PACKED, S.SHIPPED, S.DELIVERED, S.CANCELLED}
# Moves that hand goods over or commit to them: warned about on unpaid bank transfers.
WARN_UNPAID = {S.CONFIRMED, S.SHIPPED}


@require_GET
@coop_staff
def order_desk(request: SignedInRequest, coop: Cooperative) -> HttpResponse:
    context = reads.order_desk(
        user=request.user,
        coop=coop,
        status=request.GET.get("status", "PLACED"),
        page=request.GET.get("page"),
    )
    cards = _cards(request, coop, context["orders"], context["status"])
    return render(
        request,
        "frontend/coop/order_desk.html",
        {**context, "cards": cards, "querystring_base": page_params(request)},
    )


CODE = "__order-code__"  # stands for each order's code in links reversed once per page
LABELLED = ("status", "payment_method", "payment_status")
CARD = "frontend/coop/_desk_order.html"
CARD_SECONDS = 600
CSRF_MARK = "<!--csrf-input-->"  # in a stored card; each page puts its own token there


def _cards(request: HttpRequest, coop: Cooperative, orders: list[Order], tab: str) -> list[str]:
    """Each order's card, as HTML. A card is a pure function of its facts (`_card_facts`: every
    value it shows, the tab, the time zone and the card template's own text), so it is kept in
    the shared cache under a digest of them and re-rendered only when one of them changes:
    nothing shown can be stale. Rendering 25 cards was most of a desk page's time
    (bench/load.py's order desk: ~16 ms of ~22 ms). The CSRF token is the request's own: a
    stored card carries a marker that each page replaces."""
    facts = _card_facts(coop, orders, tab)
    by_digest = {
        hashlib.sha1(repr((_card_version(), f)).encode(), usedforsecurity=False).hexdigest(): f
        for f in facts
    }
    rendered = pagecache.cached_many(
        "desk-card",
        list(by_digest),
        lambda digests: {
            d: render_to_string(CARD, {"o": by_digest[d], "csrf_input": mark_safe(CSRF_MARK)})
            for d in digests
        },
        ttl=CARD_SECONDS,
    )
    csrf_input = format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
    )
    # Safe: each card was rendered with autoescaping, and the token input by format_html.
    return [mark_safe(rendered[d].replace(CSRF_MARK, csrf_input)) for d in by_digest]


def _card_facts(coop: Cooperative, orders: list[Order], tab: str) -> list[dict[str, Any]]:
    """What each card shows, as plain values: links reversed and labels translated once per
    page (per order, seven reverse() calls and three get_FOO_display() calls cost more than the
    rest of the card)."""
    links = {
        "detail": reverse("frontend:order_detail", args=[CODE]),
        "paid": reverse("frontend:coop_order_paid", args=[coop.pk, CODE]),
        "move": reverse("frontend:coop_order_move", args=[coop.pk, CODE]),
        "export": reverse("frontend:export_order", args=[CODE]),
        "slip_pdf": reverse("orders:order-packing-slip-pdf", args=[CODE]),
        "invoice_pdf": reverse("orders:order-invoice-pdf", args=[CODE]),
        "print_slip": reverse("frontend:coop_order_print", args=[coop.pk, CODE, "slip"]),
    }
    labels = {name: {v: str(label) for v, label in _choices(name)} for name in LABELLED}
    zone = timezone.get_current_timezone_name()
    facts = []
    for o in orders:
        code = quote(o.code or "", safe="")  # as reverse() quotes a path argument
        facts.append(
            {
                "pk": o.pk,
                "code": o.code,
                "tab": tab,
                "status": o.status,
                "payment_method": o.payment_method,
                "unpaid": reads.awaits_bank_transfer(o),
                "total_vnd": o.total_vnd,
                "placed": formats.date_format(
                    timezone.localtime(o.placed_at), "SHORT_DATETIME_FORMAT"
                ),
                "zone": zone,
                "recipient_name": o.checkout.recipient_name,
                "recipient_phone": o.checkout.recipient_phone,
                "lines": [
                    {"product_name": ln.product_name, "quantity": ln.quantity, "unit": ln.unit}
                    for ln in o.lines.all()
                ],
                "links": {name: link.replace(CODE, code) for name, link in links.items()},
                "labels": {
                    name: labels[name].get(getattr(o, name), getattr(o, name)) for name in LABELLED
                },
            }
        )
    return facts


@functools.cache
def _card_version() -> str:
    """A digest of the card template's text: part of every card's digest, so a release that
    changes the card never serves a card rendered by the old one."""
    source = get_template(CARD).template.source  # type: ignore[attr-defined]
    return hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()


def _choices(name: str) -> list:
    field = Order._meta.get_field(name)
    assert isinstance(field, Field)
    return list(field.flatchoices)


def _back(coop, request):
    tab = request.POST.get("tab", "")
    suffix = f"?status={tab}" if tab in S.values else ""
    return redirect(reverse("frontend:coop_orders", args=[coop.pk]) + suffix)


def _own_order(request, coop, code):
    order = (
        order_selectors.order_list_for_cooperative_staff(user=request.user, cooperative_id=coop.pk)
        .filter(code=code)
        .first()
    )
    if order is None:
        raise Http404()
    return order


def _describe(exc) -> str:
    details = [
        str(m)
        for msgs in (exc.fields or {}).values()
        for m in (msgs if isinstance(msgs, (list, tuple)) else [])
    ]
    return " ".join([str(exc.message), *details[:3]])


@require_POST
@coop_staff
def order_move(request: SignedInRequest, coop: Cooperative, code: str) -> HttpResponse:
    form = TransitionForm(request.POST)
    order = _own_order(request, coop, code)
    if not form.is_valid() or form.cleaned_data["to"] not in DESK_MOVES:
        messages.error(request, _("This action is not available."))
        return _back(coop, request)
    d = form.cleaned_data
    if d["to"] in WARN_UNPAID and reads.awaits_bank_transfer(order) and not d["unpaid_ok"]:
        messages.warning(
            request,
            _(
                "Order %(code)s is paid by bank transfer and the money has not arrived yet. "
                "Mark the transfer received first, or tick “I know it is not paid” to go on."
            )
            % {"code": order.code},
        )
        return _back(coop, request)
    run_one(
        request,
        lambda: order_transition(
            actor=request.user,
            order_id=order.pk,
            to=d["to"],
            carrier=d["carrier"],
            tracking_number=d["tracking_number"],
            reason=d["reason"],
        ),
        _("Order %(code)s: %(status)s.") % {"code": order.code, "status": S(d["to"]).label},
        describe=_describe,
    )
    return _back(coop, request)


@require_POST
@coop_staff
def order_paid(request: SignedInRequest, coop: Cooperative, code: str) -> HttpResponse:
    """The bank transfer arrived: the amount on the statement and the bank's reference."""
    form = BankTransferReceivedForm(request.POST)
    order = _own_order(request, coop, code)
    if not form.is_valid():
        messages.error(
            request,
            " ".join(str(m) for msgs in form.errors.values() for m in msgs),
        )
        return _back(coop, request)
    d = form.cleaned_data
    run_one(
        request,
        lambda: payment_bank_transfer_confirm(
            actor=request.user,
            order_id=order.pk,
            amount_vnd=d["amount_vnd"],
            bank_reference=d["bank_reference"],
        ),
        _("Order %(code)s: bank transfer received.") % {"code": order.code},
        describe=_describe,
    )
    return _back(coop, request)


@require_GET
@coop_staff
def order_print(request: SignedInRequest, coop: Cooperative, code: str, kind: str) -> HttpResponse:
    order = _own_order(request, coop, code)
    template = {"slip": "frontend/coop/packing_slip.html", "invoice": "frontend/coop/invoice.html"}[
        kind
    ]
    return render(
        request, template, {"coop": coop, "order": order, "lines": list(order.lines.all())}
    )
