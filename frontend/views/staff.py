"""Platform admin pages: verification queue (documents through the authorised download view,
approve or reject with a reason), certification checks, suspended sellers, buyers holding
unpaid stock. Everyone who is not a platform admin gets 404, the same as for a page that does
not exist."""

from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from catalog.services.certifications import certification_check
from frontend import reads
from frontend.forms import ReasonForm
from frontend.views.common import SignedInRequest, not_found_as_404, run_one
from market.cooperatives import services as market_services
from orders.selectors import refund_list_for_admin, unpaid_holder_list_for_admin


def platform_admin(view):
    @login_required
    @not_found_as_404
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_platform_admin:
            raise Http404()
        return view(request, *args, **kwargs)

    return wrapper


def _with_details(exc) -> str:
    details = [
        str(m)
        for msgs in (exc.fields or {}).values()
        for m in (msgs if isinstance(msgs, list) else [msgs])
    ]
    return " ".join([str(exc.message), *details[:3]])


def _run(request, call, ok_message) -> bool:
    return run_one(request, call, ok_message, describe=_with_details)


@require_GET
@platform_admin
def queue(request: SignedInRequest) -> HttpResponse:
    return render(request, "frontend/staff/queue.html", reads.admin_queue())


@require_GET
@platform_admin
def cooperative(request: SignedInRequest, coop_id: int) -> HttpResponse:
    return render(
        request,
        "frontend/staff/cooperative.html",
        {**reads.admin_cooperative(user=request.user, coop_id=coop_id), "form": ReasonForm()},
    )


_DECISIONS = {
    "verify": (
        lambda u, c, r: market_services.cooperative_verify(actor=u, cooperative_id=c),
        gettext_lazy("Cooperative verified."),
    ),
    "reject": (
        lambda u, c, r: market_services.cooperative_reject(actor=u, cooperative_id=c, reason=r),
        gettext_lazy("Cooperative rejected; the reason was sent to its staff."),
    ),
    "suspend": (
        lambda u, c, r: market_services.cooperative_suspend(actor=u, cooperative_id=c, reason=r),
        gettext_lazy("Cooperative suspended."),
    ),
    "reinstate": (
        lambda u, c, r: market_services.cooperative_reinstate(actor=u, cooperative_id=c, reason=r),
        gettext_lazy("Cooperative reinstated."),
    ),
}


@require_POST
@platform_admin
def decide(request: SignedInRequest, coop_id: int, decision: str) -> HttpResponse:
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    call, ok = _DECISIONS[decision]
    coop_id = int(coop_id)  # from a regex route
    _run(request, lambda: call(request.user, coop_id, reason), str(ok))
    return redirect("frontend:staff_cooperative", coop_id)


@require_GET
@platform_admin
def certifications(request: SignedInRequest) -> HttpResponse:
    return render(request, "frontend/staff/certifications.html", reads.admin_certifications())


@require_POST
@platform_admin
def certification_decide(request: SignedInRequest, cert_id: int, decision: str) -> HttpResponse:
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    _run(
        request,
        lambda: certification_check(
            actor=request.user,
            certification_id=int(cert_id),
            verified=decision == "verify",
            reason=reason,
        ),
        _("Certification checked."),
    )
    return redirect("frontend:staff_certifications")


@require_GET
@platform_admin
def suspended(request: SignedInRequest) -> HttpResponse:
    return render(request, "frontend/staff/suspended.html", reads.admin_suspended())


@require_GET
@platform_admin
def unpaid_holders(request: SignedInRequest) -> HttpResponse:
    """The audit's stock-hoarding finding: who holds the most stock in unpaid bank-transfer
    orders, with the limits in force, so an admin can see a hoarder before real buyers meet
    "out of stock"."""
    return render(
        request,
        "frontend/staff/unpaid_holders.html",
        {
            "holders": unpaid_holder_list_for_admin(),
            "max_open": settings.ORDER_UNPAID_MAX_OPEN,
            "max_value": settings.ORDER_UNPAID_MAX_VALUE_VND,
            "reservation_hours": settings.ORDER_BANK_TRANSFER_RESERVATION_HOURS,
        },
    )


@require_GET
@platform_admin
def refunds(request: SignedInRequest) -> HttpResponse:
    """Refunds waiting (bank transfers to pay back, card refunds Stripe has not settled), then
    the latest ones, each linked to its order's refund screen; an order code opens that screen."""
    code = (request.GET.get("code") or "").strip()
    if code:
        try:
            return redirect("frontend:order_refunds", code=code)
        except NoReverseMatch:  # no order code has a "/" (the path would not take it)
            raise Http404() from None
    waiting = refund_list_for_admin(user=request.user, status="PENDING")
    latest = refund_list_for_admin(user=request.user).exclude(status="PENDING")[:50]
    return render(
        request,
        "frontend/staff/refunds.html",
        {"waiting": list(waiting[:200]), "latest": list(latest)},
    )
