"""Cooperative order desk extras: bulk confirm/pack and a CSV export for bookkeeping."""

import io

from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from market.api.permissions import SignedInApiRequest
from market.shared.csvsafe import SafeWriter
from orders.apis.orders import STATUS_PARAM, _cooperative, _status
from orders.models import Order
from orders.selectors import order_list_for_cooperative_staff
from orders.services.transitions import order_transition_bulk

CSV_COLUMNS = [
    "code",
    "placed_at",
    "status",
    "payment_status",
    "payment_method",
    "buyer_email",
    "subtotal_vnd",
    "shipping_fee_vnd",
    "commission_percent",
    "commission_vnd",
    "total_vnd",
    "amount_refunded_vnd",
    "carrier",
    "tracking_number",
]


class OrderBulkMoveApi(APIView):
    permission_classes = [IsAuthenticated]
    MOVES = {"confirm": Order.Status.CONFIRMED, "pack": Order.Status.PACKED}

    @extend_schema_serializer(component_name="OrderBulkMoveInput")
    class Input(serializers.Serializer):
        action = serializers.ChoiceField(choices=["confirm", "pack"])
        codes = serializers.ListField(
            child=serializers.CharField(max_length=32), min_length=1, max_length=200
        )

    @extend_schema_serializer(component_name="OrderBulkMoveOutput")
    class Output(serializers.Serializer):
        results = serializers.DictField(child=serializers.CharField())

    @extend_schema(
        request=Input, responses=Output, summary="Confirm or pack many orders of my cooperative"
    )
    def post(self, request: SignedInApiRequest) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        codes = data.validated_data["codes"]
        visible = dict(
            order_list_for_cooperative_staff(user=request.user)
            .filter(code__in=codes)
            .values_list("pk", "code")
        )
        done = order_transition_bulk(
            actor=request.user,
            order_ids=sorted(visible),
            to=self.MOVES[data.validated_data["action"]],
        )
        results = dict.fromkeys(codes, "not_found")
        results.update({visible[pk]: outcome for pk, outcome in done.items()})
        return Response({"results": results})


class OrderExportCsvApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[STATUS_PARAM, OpenApiParameter("cooperative", int, required=False)],
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
        summary="My cooperative's orders as CSV (UTF-8 with BOM, opens in Excel)",
    )
    def get(self, request: SignedInApiRequest) -> HttpResponseBase:
        qs = order_list_for_cooperative_staff(
            user=request.user, status=_status(request), cooperative_id=_cooperative(request)
        )
        buf = io.StringIO()
        writer = SafeWriter(buf)  # order notes, carriers, e-mails: user text
        writer.writerow(CSV_COLUMNS)
        for o in qs.prefetch_related(None).order_by("placed_at", "pk").iterator(chunk_size=500):
            writer.writerow(
                [
                    o.code,
                    timezone.localtime(o.placed_at).isoformat(),
                    o.status,
                    o.payment_status,
                    o.payment_method,
                    o.buyer.email,
                    o.subtotal_vnd,
                    o.shipping_fee_vnd,
                    o.commission_percent,
                    o.commission_vnd,
                    o.total_vnd,
                    o.amount_refunded_vnd,
                    o.carrier,
                    o.tracking_number,
                ]
            )
        response = HttpResponse(
            ("\ufeff" + buf.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="don-hang.csv"'
        return response
