"""Money pages: the cooperative's "Doanh thu" (earnings) page and the admin's finance page
(balances per cooperative, the next payout batch, payout settlement, reconciliation status).
Reads come from the ledger's and orders' selectors; each post makes one ledger service call."""

from datetime import date, timedelta

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from frontend.charts import weekly_bars_svg
from frontend.views.common import SignedInRequest, run_one
from frontend.views.coop import coop_staff
from frontend.views.staff import platform_admin
from ledger import selectors as ledger_selectors
from ledger import services as ledger_services
from ledger.checks import ledger_check
from ledger.models import PayoutBatch
from market.models import Cooperative
from orders import selectors as order_selectors


def _months(today: date, n: int = 6) -> list[str]:
    out, year, month = [], today.year, today.month
    for _i in range(n):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out


@require_GET
@coop_staff
def coop_earnings(request: SignedInRequest, coop: Cooperative) -> HttpResponse:
    today = timezone.localdate()
    weeks = order_selectors.sales_per_week_for_cooperative(cooperative_id=coop.pk, today=today)
    since = timezone.now() - timedelta(weeks=12)
    api = f"/api/v1/ledger/cooperatives/{coop.pk}"
    return render(
        request,
        "frontend/coop/earnings.html",
        {
            "coop": coop,
            "balances": ledger_selectors.balances_for_cooperative(cooperative_id=coop.pk),
            "chart": weekly_bars_svg(weeks, title=_("Sales per week, last 12 weeks")),
            "weeks_total": sum(v for _d, v in weeks),
            "top": order_selectors.top_products_for_cooperative(
                cooperative_id=coop.pk, since=since
            ),
            "statements": [
                {
                    "period": p,
                    "pdf": f"{api}/statements/{p}.pdf",
                    "csv": f"{api}/statements/{p}.csv",
                    "invoice": f"{api}/commission-invoices/{p}.pdf",
                }
                for p in _months(today)
            ],
        },
    )


@require_GET
@platform_admin
def staff_finance(request: SignedInRequest) -> HttpResponse:
    check = ledger_check()
    batches = PayoutBatch.objects.prefetch_related("lines__cooperative")[:5]
    due, owing = ledger_selectors.payout_outlook()
    return render(
        request,
        "frontend/staff/finance.html",
        {
            "cooperatives": ledger_selectors.balances_for_admin(),
            "platform": ledger_selectors.platform_balances(),
            "next_payout": due,
            "owing": owing,
            "check": check,
            "batches": batches,
        },
    )


def _back():
    return redirect(reverse("frontend:staff_finance"))


@require_POST
@platform_admin
def staff_payout_run(request: SignedInRequest) -> HttpResponse:
    made = []

    def call():
        made.append(ledger_services.payout_run(actor=request.user))

    if run_one(request, call) and made[0] is None:
        messages.info(request, _("No cooperative is due a payout."))
    elif made and made[0] is not None:
        messages.success(request, _("Payout batch #%(id)s created.") % {"id": made[0].pk})
    return _back()


@require_POST
@platform_admin
def staff_payout_line_paid(request: SignedInRequest, line_id: int) -> HttpResponse:
    run_one(
        request,
        lambda: ledger_services.payout_line_mark_paid(
            actor=request.user,
            line_id=line_id,
            bank_reference=request.POST.get("bank_reference", ""),
        ),
        _("Payout line marked paid."),
    )
    return _back()


@require_POST
@platform_admin
def staff_payout_line_failed(request: SignedInRequest, line_id: int) -> HttpResponse:
    run_one(
        request,
        lambda: ledger_services.payout_line_mark_failed(
            actor=request.user, line_id=line_id, reason=request.POST.get("reason", "")
        ),
        _("Payout line marked failed; its amount is available again."),
    )
    return _back()
