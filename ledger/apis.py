"""Ledger API under /api/v1/: a cooperative's balances and statements (its staff and admins),
and the admin's finance endpoints (balances, adjustments, payout runs and their settlement)."""

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ledger import selectors, services, statements
from ledger.checks import ledger_check
from ledger.errors import NotFound, ValidationFailed
from ledger.models import PayoutBatch, PayoutLine
from market.api.permissions import IsPlatformAdmin, signed_in_user


def _valid(serializer_class: type[serializers.Serializer[Any]], data: Any) -> dict[str, Any]:
    s = serializer_class(data=data)
    if not s.is_valid():
        raise ValidationFailed(fields={k: [str(x) for x in v] for k, v in s.errors.items()})
    validated: dict[str, Any] = s.validated_data
    return validated


def _file(content: str | bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class AvailableOutput(serializers.Serializer[Any]):
    gross_vnd = serializers.IntegerField()
    receivable_vnd = serializers.IntegerField()
    netted_vnd = serializers.IntegerField()
    net_vnd = serializers.IntegerField()


class CooperativeBalancesApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="LedgerCooperativeBalancesOutput")
    class Output(serializers.Serializer[Any]):
        cooperative_id = serializers.IntegerField()
        pending_release_vnd = serializers.IntegerField()
        payable_vnd = serializers.IntegerField()
        receivable_vnd = serializers.IntegerField()
        paid_this_month_vnd = serializers.IntegerField()
        available = AvailableOutput()

    @extend_schema(responses=Output, summary="A cooperative's balances (its staff, admins)")
    def get(self, request: Request, cooperative_id: int) -> Response:
        coop = selectors.cooperative_get_for_actor(
            actor=signed_in_user(request), cooperative_id=cooperative_id
        )
        b = selectors.balances_for_cooperative(cooperative_id=coop.pk)
        data = {"cooperative_id": coop.pk, **b.__dict__, "available": b.available.__dict__}
        return Response(self.Output(data).data)


class CooperativeStatementApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="ledger_statement_file",
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.STR,
        },
        summary="Monthly statement as PDF (Vietnamese) or CSV (its staff, admins)",
    )
    def get(self, request: Request, cooperative_id: int, period: str, kind: str) -> HttpResponse:
        coop = selectors.cooperative_get_for_actor(
            actor=signed_in_user(request), cooperative_id=cooperative_id
        )
        statement = selectors.statement_for_cooperative(cooperative=coop, period=period)
        name = f"sao-ke-{coop.pk}-{period}.{kind}"
        if kind == "csv":
            return _file(statements.statement_csv(statement), "text/csv; charset=utf-8", name)
        return _file(statements.statement_pdf(statement), "application/pdf", name)


class CooperativeCommissionInvoiceApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="ledger_commission_invoice_pdf",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        summary="Monthly commission invoice (orders paid to the cooperative directly) as PDF",
    )
    def get(self, request: Request, cooperative_id: int, period: str) -> HttpResponse:
        coop = selectors.cooperative_get_for_actor(
            actor=signed_in_user(request), cooperative_id=cooperative_id
        )
        invoice = selectors.commission_invoice_for_cooperative(cooperative=coop, period=period)
        return _file(
            statements.commission_invoice_pdf(invoice),
            "application/pdf",
            f"hoa-don-hoa-hong-{coop.pk}-{period}.pdf",
        )


class AdminFinanceApi(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema_serializer(component_name="LedgerAdminFinanceOutput")
    class Output(serializers.Serializer[Any]):
        class Coop(serializers.Serializer[Any]):
            cooperative_id = serializers.IntegerField(source="cooperative.pk")
            name = serializers.CharField(source="cooperative.display_name")
            pending_release_vnd = serializers.IntegerField()
            payable_vnd = serializers.IntegerField()
            receivable_vnd = serializers.IntegerField()

        class Platform(serializers.Serializer[Any]):
            account_id = serializers.IntegerField()
            kind = serializers.CharField()
            currency = serializers.CharField()
            balance = serializers.IntegerField()

        class Next(serializers.Serializer[Any]):
            cooperative_id = serializers.IntegerField(source="cooperative.pk")
            available = AvailableOutput()

        class Owing(serializers.Serializer[Any]):
            cooperative_id = serializers.IntegerField(source="cooperative.pk")
            name = serializers.CharField(source="cooperative.display_name")
            refunds_vnd = serializers.IntegerField(
                help_text="Card money refunded to buyers after it was paid out to it."
            )
            commission_vnd = serializers.IntegerField(
                help_text="Commission on orders paid to it directly, beyond its released money."
            )
            total_vnd = serializers.IntegerField()

        cooperatives = Coop(many=True)
        platform = Platform(many=True)
        next_payout = Next(many=True)
        owing = Owing(
            many=True,
            help_text="Cooperatives that owe the platform: set off against the money released "
            "to them next; nothing is paid to them until then.",
        )
        transactions = serializers.IntegerField()
        drift_vnd = serializers.IntegerField()
        balanced = serializers.BooleanField()

    @extend_schema(responses=Output, summary="Finance: balances, next payout, reconciliation")
    def get(self, request: Request) -> Response:
        check = ledger_check()
        due, owing = selectors.payout_outlook()
        data = {
            "cooperatives": selectors.balances_for_admin(),
            "platform": selectors.platform_balances(),
            "next_payout": due,
            "owing": owing,
            "transactions": check.transactions,
            "drift_vnd": check.drift_total,
            "balanced": not check.unbalanced,
        }
        return Response(self.Output(data).data)


class TransactionOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    key = serializers.CharField()
    memo = serializers.CharField()
    created_at = serializers.DateTimeField()


class AdjustmentCreateApi(APIView):
    permission_classes = [IsAuthenticated]  # the service answers 403 admin_only for others

    @extend_schema_serializer(component_name="LedgerAdjustmentInput")
    class Input(serializers.Serializer[Any]):
        debit_account_id = serializers.IntegerField()
        credit_account_id = serializers.IntegerField()
        amount_vnd = serializers.IntegerField()
        reason = serializers.CharField(allow_blank=True, required=False, default="")

    @extend_schema(request=Input, responses={201: TransactionOutput}, summary="Admin adjustment")
    def post(self, request: Request) -> Response:
        data = _valid(self.Input, request.data)
        txn = services.adjustment_post(actor=signed_in_user(request), **data)
        return Response(TransactionOutput(txn).data, status=201)


class PayoutLineOutput(serializers.ModelSerializer[PayoutLine]):
    class Meta:
        model = PayoutLine
        fields = [
            "id",
            "batch",
            "cooperative",
            "gross_vnd",
            "netted_vnd",
            "amount_vnd",
            "beneficiary_name",
            "bank_bin",
            "bank_account",
            "transfer_note",
            "status",
            "bank_reference",
            "failure_reason",
            "settled_at",
        ]


class PayoutBatchOutput(serializers.ModelSerializer[PayoutBatch]):
    lines = PayoutLineOutput(many=True)

    class Meta:
        model = PayoutBatch
        fields = ["id", "created_at", "minimum_vnd", "note", "lines"]


class PayoutRunApi(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(
        request=None,
        responses={201: PayoutBatchOutput, 204: None},
        summary="Create a payout batch now (the weekly run); 204 when nobody is due",
    )
    def post(self, request: Request) -> Response:
        batch = services.payout_run(actor=signed_in_user(request))
        if batch is None:
            return Response(status=204)
        return Response(PayoutBatchOutput(batch).data, status=201)


class PayoutCreateApi(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema_serializer(component_name="LedgerPayoutCreateInput")
    class Input(serializers.Serializer[Any]):
        cooperative_id = serializers.IntegerField()
        amount_vnd = serializers.IntegerField()

    @extend_schema(
        request=Input,
        responses={201: PayoutLineOutput},
        summary="Pay one cooperative now (at most its available balance; 422 above it)",
    )
    def post(self, request: Request) -> Response:
        data = _valid(self.Input, request.data)
        line = services.payout_create(actor=signed_in_user(request), **data)
        return Response(PayoutLineOutput(line).data, status=201)


class PayoutBatchCsvApi(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(
        operation_id="ledger_payout_batch_csv",
        responses={(200, "text/csv"): OpenApiTypes.STR},
        summary="Bulk-transfer CSV of a payout batch for the bank (lines still to pay)",
    )
    def get(self, request: Request, batch_id: int) -> HttpResponse:
        batch = PayoutBatch.objects.filter(pk=batch_id).first()
        if batch is None:
            raise NotFound()
        return _file(
            statements.payout_batch_csv(batch), "text/csv; charset=utf-8", f"chi-tra-{batch.pk}.csv"
        )


class PayoutLinePaidApi(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema_serializer(component_name="LedgerPayoutLinePaidInput")
    class Input(serializers.Serializer[Any]):
        bank_reference = serializers.CharField(allow_blank=True, required=False, default="")

    @extend_schema(
        request=Input,
        responses=PayoutLineOutput,
        summary="Mark a payout line paid with the bank reference (writes the ledger entries)",
    )
    def post(self, request: Request, line_id: int) -> Response:
        data = _valid(self.Input, request.data)
        line = services.payout_line_mark_paid(
            actor=signed_in_user(request), line_id=line_id, **data
        )
        return Response(PayoutLineOutput(line).data)


class PayoutLineFailedApi(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema_serializer(component_name="LedgerPayoutLineFailedInput")
    class Input(serializers.Serializer[Any]):
        reason = serializers.CharField(allow_blank=True, required=False, default="")

    @extend_schema(
        request=Input,
        responses=PayoutLineOutput,
        summary="Mark a payout line failed (its amount returns to the balance)",
    )
    def post(self, request: Request, line_id: int) -> Response:
        data = _valid(self.Input, request.data)
        line = services.payout_line_mark_failed(
            actor=signed_in_user(request), line_id=line_id, **data
        )
        return Response(PayoutLineOutput(line).data)
