"""The refund screen of one order (`/don-hang/<code>/hoan-tien/`), for its cooperative's staff
and admins: what was received and how, the refunds so far, and the three actions on it:
cancel the order giving back everything received (also an export order paid in part: its
deposit), refund part of a paid order, and (admins) record a bank-transfer refund as paid back.
Each post makes one call to orders, which checks the actor and the order again under its lock;
a refusal is shown as its message and changes nothing. Buyers and strangers get 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from frontend import reads
from frontend.forms import RefundCancelForm, RefundForm, RefundPaidOutForm
from frontend.views.common import SignedInRequest, not_found_as_404, run_one
from orders.models import Order, Refund
from orders.services.refunds import refund_create, refund_mark_paid_out
from orders.services.transitions import order_transition


def _screen(request: SignedInRequest, code: str, **forms) -> HttpResponse:
    data = reads.order_refunds_for_staff(user=request.user, code=code)
    context = {
        "cancel_form": RefundCancelForm(),
        "refund_form": RefundForm(initial={"left_vnd": data["left_vnd"]}),
        "paid_out_form": RefundPaidOutForm(),
        **data,
        **forms,
    }
    return render(request, "frontend/orders/refunds.html", context, status=400 if forms else 200)


def _back(code: str) -> HttpResponse:
    return redirect("frontend:order_refunds", code=code)


@login_required
@require_GET
@not_found_as_404
def order_refunds(request: SignedInRequest, code: str) -> HttpResponse:
    return _screen(request, code)


@login_required
@require_POST
@not_found_as_404
def order_refund_cancel(request: SignedInRequest, code: str) -> HttpResponse:
    """Cancel the order; everything received goes back the way it came (orders' refund rule)."""
    order = reads.order_refunds_for_staff(user=request.user, code=code)["order"]
    form = RefundCancelForm(request.POST)
    if not form.is_valid():
        return _screen(request, code, cancel_form=form)
    run_one(
        request,
        lambda: order_transition(
            actor=request.user,
            order_id=order.pk,
            to=Order.Status.CANCELLED,
            reason=form.cleaned_data["reason"],
        ),
        _("Order %(code)s is cancelled; everything received for it is being refunded.")
        % {"code": order.code},
    )
    return _back(order.code)


@login_required
@require_POST
@not_found_as_404
def order_refund_create(request: SignedInRequest, code: str) -> HttpResponse:
    """Refund part of a paid order (card money through Stripe, the rest by bank transfer)."""
    screen = reads.order_refunds_for_staff(user=request.user, code=code)
    order = screen["order"]
    form = RefundForm(request.POST)
    if not form.is_valid():
        # shown again with its errors, and with what is left to refund now
        form.data = request.POST.copy()
        form.data["left_vnd"] = str(screen["left_vnd"])
        return _screen(request, code, refund_form=form)
    d = form.cleaned_data
    run_one(
        request,
        lambda: refund_create(
            actor=request.user,
            order_id=order.pk,
            amount_vnd=d["amount_vnd"],
            reason=d["reason"],
            method=d["method"] or None,
            refundable_seen_vnd=d["left_vnd"],
        ),
        _("Refund of %(amount)s ₫ queued.") % {"amount": f"{d['amount_vnd']:,}"},
    )
    return _back(order.code)


@login_required
@require_POST
@not_found_as_404
def order_refund_paid_out(request: SignedInRequest, code: str, refund_id: int) -> HttpResponse:
    """An admin records that a pending bank-transfer refund was paid back to the buyer."""
    order = reads.order_refunds_for_staff(user=request.user, code=code)["order"]
    if not Refund.objects.filter(pk=refund_id, order=order).exists():
        messages.error(request, _("This refund is not one of this order's."))
        return _back(order.code)
    form = RefundPaidOutForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    run_one(
        request,
        lambda: refund_mark_paid_out(actor=request.user, refund_id=refund_id, note=note),
        _("Refund #%(id)s recorded as paid back.") % {"id": refund_id},
    )
    return _back(order.code)
