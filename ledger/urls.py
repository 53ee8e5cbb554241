"""Ledger API under /api/v1/."""

from django.urls import path, re_path

from ledger import apis

app_name = "ledger"

PERIOD = r"(?P<period>[0-9]{4}-[0-9]{2})"

urlpatterns = [
    path(
        "ledger/cooperatives/<id:cooperative_id>/balances/",
        apis.CooperativeBalancesApi.as_view(),
        name="coop-balances",
    ),
    re_path(
        rf"^ledger/cooperatives/(?P<cooperative_id>[0-9]+)/statements/{PERIOD}\.(?P<kind>pdf|csv)$",
        apis.CooperativeStatementApi.as_view(),
        name="coop-statement",
    ),
    re_path(
        rf"^ledger/cooperatives/(?P<cooperative_id>[0-9]+)/commission-invoices/{PERIOD}\.pdf$",
        apis.CooperativeCommissionInvoiceApi.as_view(),
        name="coop-commission-invoice",
    ),
    path("admin/ledger/", apis.AdminFinanceApi.as_view(), name="admin-finance"),
    path("admin/ledger/adjustments/", apis.AdjustmentCreateApi.as_view(), name="adjustment"),
    path("admin/ledger/payout-runs/", apis.PayoutRunApi.as_view(), name="payout-run"),
    path("admin/ledger/payouts/", apis.PayoutCreateApi.as_view(), name="payout-create"),
    path(
        "admin/ledger/payout-batches/<id:batch_id>/transfers.csv",
        apis.PayoutBatchCsvApi.as_view(),
        name="payout-batch-csv",
    ),
    path(
        "admin/ledger/payout-lines/<id:line_id>/paid/",
        apis.PayoutLinePaidApi.as_view(),
        name="payout-line-paid",
    ),
    path(
        "admin/ledger/payout-lines/<id:line_id>/failed/",
        apis.PayoutLineFailedApi.as_view(),
        name="payout-line-failed",
    ),
]
