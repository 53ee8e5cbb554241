"""Per-order PDFs: packing slip and invoice, for whoever may see the order (its buyer, its
cooperative's staff, admins). The packing slip holds nothing the buyer does not already know (the
buyer's own address and note, the lines, the amount the carrier collects on COD), and issue 16
promises both documents on the buyer's order page. An export order's buyer gets them once its
documents are released, as the commercial invoice and packing list (`export_document_check`)."""

from django.http import HttpResponse
from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from market.api.permissions import SignedInApiRequest
from orders.printouts import invoice_pdf, packing_slip_pdf
from orders.selectors import order_get_for_actor
from orders.services.export import export_document_check


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class OrderPackingSlipPdfApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        summary="Packing slip of one order as PDF (Vietnamese); the buyer, cooperative staff, admins",
    )
    def get(self, request: SignedInApiRequest, code: str) -> HttpResponseBase:
        order = order_get_for_actor(user=request.user, code=code)
        export_document_check(actor=request.user, order=order, document="packing-slip")
        return _pdf_response(packing_slip_pdf(order), f"phieu-dong-goi-{order.code}.pdf")


class OrderInvoicePdfApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        summary="Invoice of one order as PDF (Vietnamese); cooperative staff, admins and the buyer",
    )
    def get(self, request: SignedInApiRequest, code: str) -> HttpResponseBase:
        order = order_get_for_actor(user=request.user, code=code)
        export_document_check(actor=request.user, order=order, document="invoice")
        return _pdf_response(invoice_pdf(order), f"hoa-don-{order.code}.pdf")
