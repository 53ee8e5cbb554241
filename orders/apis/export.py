"""Export orders (made from an accepted quote): terms and payment schedule, wire confirmation,
card payment per installment, shipment, bill of lading, English trade PDFs, and the rate table."""

from django.core.files.storage import storages
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from market.api.permissions import IsPlatformAdmin, SignedInApiRequest
from market.api.responses import created
from orders.errors import NotFound
from orders.export_documents import (
    commercial_invoice_pdf,
    packing_list_pdf,
    proforma_pdf,
    wire_details,
)
from orders.models import ExchangeRate, Installment, Order
from orders.selectors import order_get_for_actor
from orders.services import export


def _export_order(request, code: str) -> Order:
    order = order_get_for_actor(user=request.user, code=code)
    if not hasattr(order, "export"):
        raise NotFound()
    return order


class InstallmentOutput(serializers.ModelSerializer):
    state = serializers.CharField()
    amount_due = serializers.DecimalField(max_digits=16, decimal_places=2)
    wire_reference = serializers.CharField()
    receipts = serializers.SerializerMethodField()

    class Meta:
        model = Installment
        fields = [
            "id", "sequence", "kind", "percent", "amount", "currency", "due", "due_date",
            "amount_paid", "amount_due", "state", "paid_at", "wire_reference", "receipts",
        ]  # fmt: skip

    def get_receipts(self, inst: Installment) -> list[dict]:
        return [
            {"method": r.method, "amount": str(r.amount), "reference": r.reference,
             "created_at": r.created_at}
            for r in inst.receipts.all()
        ]  # fmt: skip


def _export_output(order: Order) -> dict:
    t = order.export
    installments = order.installments.order_by("sequence").prefetch_related("receipts")
    return {
        "order": order.code,
        "status": order.status,
        "payment_status": order.payment_status,
        "quote_ref": t.quote_ref,
        "currency": t.currency,
        "unit_price": str(t.unit_price),
        "total": str(t.total),
        "usd_vnd_rate": str(t.usd_vnd_rate),
        "rate_date": t.rate_date,
        "rate_source": t.rate_source,
        "incoterm": t.incoterm,
        "named_place": t.named_place,
        "destination_country": t.destination_country,
        "deposit_percent": str(t.deposit_percent),
        "balance_due": t.balance_due,
        "installments": InstallmentOutput(installments, many=True).data,
        "wire": wire_details(order),
        "shipment": {
            name: getattr(t, name)
            for name in (*export.SHIPMENT_FIELDS, "package_count", "shipped_on")
        }
        | {
            "net_weight_kg": str(t.net_weight_kg or ""),
            "gross_weight_kg": str(t.gross_weight_kg or ""),
        },
        "transport_document": t.transport_document_kind or None,
        "documents_released_at": t.documents_released_at,
    }


class ExportOrderApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=OpenApiTypes.OBJECT, summary="An export order's terms, schedule and shipment"
    )
    def get(self, request: SignedInApiRequest, code: str) -> Response:
        return Response(_export_output(_export_order(request, code)))


def _installment(order: Order, installment_id: int) -> int:
    if not Installment.objects.filter(pk=installment_id, order=order).exists():
        raise NotFound()
    return installment_id


class InstallmentWireConfirmApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="InstallmentWireInput")
    class Input(serializers.Serializer):
        amount = serializers.DecimalField(max_digits=16, decimal_places=2)
        bank_reference = serializers.CharField(max_length=120)

    @extend_schema(
        request=Input,
        responses=OpenApiTypes.OBJECT,
        summary="Confirm an international wire for an installment (cooperative, admin)",
    )
    def post(self, request: SignedInApiRequest, code: str, installment_id: int) -> Response:
        order = _export_order(request, code)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        export.installment_wire_confirm(
            actor=request.user,
            installment_id=_installment(order, installment_id),
            **data.validated_data,
        )
        return Response(_export_output(_export_order(request, code)))


class InstallmentCardApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses=OpenApiTypes.OBJECT,
        summary="Pay an installment by card: one Stripe PaymentIntent per installment (buyer)",
    )
    def post(self, request: SignedInApiRequest, code: str, installment_id: int) -> Response:
        order = _export_order(request, code)
        payment = export.installment_card_start(
            actor=request.user, installment_id=_installment(order, installment_id)
        )
        return Response({
            "payment_id": payment.pk, "payment_intent": payment.provider_id,
            "client_secret": payment.client_secret, "amount": str(payment.amount),
            "currency": payment.currency,
        })  # fmt: skip


class ShipmentApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="ShipmentInput")
    class Input(serializers.Serializer):
        port_of_loading = serializers.CharField(max_length=120)
        port_of_discharge = serializers.CharField(max_length=120)
        vessel = serializers.CharField(max_length=120, required=False, allow_blank=True)
        container_number = serializers.CharField(max_length=20)
        seal_number = serializers.CharField(max_length=30)
        package_count = serializers.IntegerField()
        package_kind = serializers.CharField(max_length=60)
        net_weight_kg = serializers.DecimalField(max_digits=14, decimal_places=3)
        gross_weight_kg = serializers.DecimalField(max_digits=14, decimal_places=3)
        marks = serializers.CharField(max_length=255)

    @extend_schema(
        request=Input,
        responses=OpenApiTypes.OBJECT,
        summary="Record the shipment (ships a packed order) (cooperative, admin)",
    )
    def post(self, request: SignedInApiRequest, code: str) -> Response:
        order = _export_order(request, code)
        export.export_shipment_record(actor=request.user, order_id=order.pk, data=request.data)
        return Response(_export_output(_export_order(request, code)))


class TransportDocumentApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema_serializer(component_name="TransportDocumentInput")
    class Input(serializers.Serializer):
        kind = serializers.CharField(help_text="BL (bill of lading) or AWB (airway bill)")
        file = serializers.FileField()

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        summary="Download the bill of lading / airway bill (cooperative, admin; the buyer once the "
        "documents are released: 409 documents_withheld before)",
    )
    def get(self, request: SignedInApiRequest, code: str) -> HttpResponseBase:
        order = _export_order(request, code)
        terms = order.export
        if not terms.transport_document or not terms.transport_document.name:
            raise NotFound()
        export.export_document_check(actor=request.user, order=order, document="transport-document")
        storage = storages["private"]  # resolved now, as where it was saved
        response = FileResponse(
            storage.open(terms.transport_document.name, "rb"),
            content_type=terms.transport_document_type,
        )
        name = terms.transport_document_name or f"{terms.transport_document_kind}.pdf"
        # The uploader's file name, quoted safely (RFC 6266; no header injection).
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=name
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @extend_schema(
        request={"multipart/form-data": Input},
        responses=OpenApiTypes.OBJECT,
        summary="Upload the bill of lading / airway bill (PDF, JPEG, PNG ≤ 10 MB)",
    )
    def post(self, request: SignedInApiRequest, code: str) -> HttpResponseBase:
        order = _export_order(request, code)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        export.export_transport_document_upload(
            actor=request.user,
            order_id=order.pk,
            kind=data.validated_data["kind"],
            file=data.validated_data["file"],
        )
        return created(_export_output(_export_order(request, code)))


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ProformaPdfApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="order_proforma_pdf",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        summary="Proforma invoice (English) of an export order",
    )
    def get(self, request: SignedInApiRequest, code: str) -> HttpResponseBase:
        order = _export_order(request, code)
        return _pdf(proforma_pdf(order), f"proforma-{order.code}.pdf")


class CommercialInvoicePdfApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="order_commercial_invoice_pdf",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        summary="Commercial invoice (English), once the shipment is recorded (the buyer: once "
        "the documents are released)",
    )
    def get(self, request: SignedInApiRequest, code: str) -> HttpResponseBase:
        order = _export_order(request, code)
        if not order.export.shipment_complete:
            raise NotFound()
        export.export_document_check(actor=request.user, order=order, document="commercial-invoice")
        return _pdf(commercial_invoice_pdf(order), f"commercial-invoice-{order.code}.pdf")


class PackingListPdfApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="order_packing_list_pdf",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        summary="Packing list (English), once the shipment is recorded (the buyer: once the "
        "documents are released)",
    )
    def get(self, request: SignedInApiRequest, code: str) -> HttpResponseBase:
        order = _export_order(request, code)
        if not order.export.shipment_complete:
            raise NotFound()
        export.export_document_check(actor=request.user, order=order, document="packing-list")
        return _pdf(packing_list_pdf(order), f"packing-list-{order.code}.pdf")


class RateOutput(serializers.ModelSerializer):
    class Meta:
        model = ExchangeRate
        fields = ["id", "currency", "date", "rate_vnd", "source", "created_at"]


class RateListAddApi(APIView):
    def get_permissions(self) -> list[BasePermission]:
        return [AllowAny()] if self.request.method == "GET" else [IsPlatformAdmin()]

    @extend_schema_serializer(component_name="RateInput")
    class Input(serializers.Serializer):
        date = serializers.CharField()
        currency = serializers.CharField(default="USD")
        rate_vnd = serializers.CharField()
        # DRF's metaclass takes declared fields off the class, so this does not shadow
        # Field.source; the stubs cannot see that.
        source = serializers.CharField(max_length=120)  # type: ignore[assignment]

    @extend_schema(
        responses=OpenApiTypes.OBJECT, summary="USD/VND rates: the one in force and the last 30"
    )
    def get(self, request: Request) -> Response:
        rate = export.rate_in_force(currency="USD")
        return Response({
            "in_force": {"currency": "USD", "rate_vnd": str(rate.rate_vnd), "date": rate.date,
                         "source": rate.source},
            "rates": RateOutput(ExchangeRate.objects.all()[:30], many=True).data,
        })  # fmt: skip

    @extend_schema(
        request=Input,
        responses={201: OpenApiTypes.OBJECT},
        summary="Add or correct a day's rate (admin)",
    )
    def post(self, request: SignedInApiRequest) -> HttpResponseBase:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        made, updated = export.rates_load(rows=[data.validated_data], actor=request.user)
        return created({"created": made, "updated": updated})
