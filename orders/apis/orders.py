"""Order reading (buyer, cooperative desk, admin) and status moves, one view per move."""

from django.db.models import QuerySet
from django.http.response import HttpResponseBase
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from market.api.output import represent
from market.api.permissions import IsPlatformAdmin, SignedInApiRequest
from market.api.responses import paginated
from orders.apis.serializers import OrderListOutput, OrderOutput
from orders.models import Order
from orders.selectors import (
    order_get_for_actor,
    order_list_for_admin,
    order_list_for_buyer,
    order_list_for_cooperative_staff,
    unpaid_holder_list_for_admin,
)
from orders.services.transitions import order_transition

STATUS_PARAM = OpenApiParameter("status", str, enum=Order.Status.values, required=False)


def _status(request) -> str | None:
    status = request.query_params.get("status") or None
    if status and status not in Order.Status.values:
        from orders.errors import ValidationFailed

        raise ValidationFailed(fields={"status": [status]})
    return status


def _cooperative(request) -> int | None:
    coop = request.query_params.get("cooperative")
    return int(coop) if coop and coop.isdecimal() else None


def _page(view: APIView, request: Request, qs: QuerySet[Order]) -> Response:
    return paginated(request, view, qs, OrderListOutput)


class OrderListMineApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[STATUS_PARAM], responses=OrderListOutput(many=True), summary="My orders"
    )
    def get(self, request: SignedInApiRequest) -> HttpResponseBase:
        return _page(
            self, request, order_list_for_buyer(user=request.user, status=_status(request))
        )


class OrderListCooperativeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[STATUS_PARAM, OpenApiParameter("cooperative", int, required=False)],
        responses=OrderListOutput(many=True),
        summary="The cooperative order desk",
    )
    def get(self, request: SignedInApiRequest) -> HttpResponseBase:
        qs = order_list_for_cooperative_staff(
            user=request.user, status=_status(request), cooperative_id=_cooperative(request)
        )
        return _page(self, request, qs.prefetch_related(None))  # the list output shows no lines


class OrderListAdminApi(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(
        parameters=[STATUS_PARAM],
        responses=OrderListOutput(many=True),
        summary="All orders (admin)",
    )
    def get(self, request: SignedInApiRequest) -> HttpResponseBase:
        return _page(
            self, request, order_list_for_admin(user=request.user, status=_status(request))
        )


class UnpaidHolderListAdminApi(APIView):
    """Who holds the most stock without paying (the audit's stock-hoarding finding)."""

    permission_classes = [IsPlatformAdmin]

    @extend_schema_serializer(component_name="UnpaidHolderOutput")
    class Output(serializers.Serializer):
        buyer_id = serializers.IntegerField()
        email = serializers.EmailField()
        joined_at = serializers.DateTimeField()
        email_verified = serializers.BooleanField()
        open_orders = serializers.IntegerField()
        unpaid_value_vnd = serializers.IntegerField()
        reserved_quantity = serializers.DecimalField(max_digits=16, decimal_places=3)
        oldest_reserved_until = serializers.DateTimeField(allow_null=True)

    @extend_schema(
        responses=Output(many=True),
        summary="Buyers holding the most stock in unpaid bank-transfer orders (admin)",
    )
    def get(self, request: SignedInApiRequest) -> Response:
        return Response(self.Output(unpaid_holder_list_for_admin(), many=True).data)


class OrderDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OrderOutput, summary="One order with its lines and timeline")
    def get(self, request: SignedInApiRequest, code: str) -> Response:
        return Response(represent(OrderOutput, order_get_for_actor(user=request.user, code=code)))


class _TransitionApi(APIView):
    """Base of the move views: 404 unless the actor may see the order, then one service call."""

    permission_classes = [IsAuthenticated]
    to: str = ""

    @extend_schema_serializer(component_name="OrderTransitionInput")
    class Input(serializers.Serializer):
        note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def post(self, request: SignedInApiRequest, code: str) -> Response:
        order = order_get_for_actor(user=request.user, code=code, detail=False)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        order_transition(actor=request.user, order_id=order.pk, to=self.to, **data.validated_data)
        return Response(represent(OrderOutput, order_get_for_actor(user=request.user, code=code)))


@extend_schema_serializer(component_name="OrderConfirmInput")
class _ConfirmInput(_TransitionApi.Input):
    @extend_schema_serializer(component_name="OrderConfirmRefusedLine")
    class RefusedLine(serializers.Serializer):
        line_id = serializers.IntegerField()
        reason = serializers.CharField(max_length=1000, allow_blank=True)

    refused_lines = RefusedLine(many=True, required=False, default=list)


@extend_schema_serializer(component_name="OrderReasonInput")
class _ReasonInput(_TransitionApi.Input):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


@extend_schema_serializer(component_name="OrderShipInput")
class _ShipInput(_TransitionApi.Input):
    carrier = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    tracking_number = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )


@extend_schema_view(
    post=extend_schema(
        request=_ConfirmInput, responses=OrderOutput, summary="Confirm (optionally refusing lines)"
    )
)
class OrderConfirmApi(_TransitionApi):
    """Confirm (optionally refusing lines)"""

    to = Order.Status.CONFIRMED
    Input = _ConfirmInput


@extend_schema_view(
    post=extend_schema(
        request=_ReasonInput,
        responses=OrderOutput,
        summary="Refuse the whole order (reason required)",
    )
)
class OrderRefuseApi(_TransitionApi):
    """Refuse the whole order (reason required)"""

    to = Order.Status.REFUSED
    Input = _ReasonInput


@extend_schema_view(
    post=extend_schema(request=_TransitionApi.Input, responses=OrderOutput, summary="Mark packed")
)
class OrderPackApi(_TransitionApi):
    """Mark packed"""

    to = Order.Status.PACKED


@extend_schema_view(
    post=extend_schema(
        request=_ShipInput,
        responses=OrderOutput,
        summary="Mark shipped (carrier and tracking number)",
    )
)
class OrderShipApi(_TransitionApi):
    """Mark shipped (carrier and tracking number)"""

    to = Order.Status.SHIPPED
    Input = _ShipInput


@extend_schema_view(
    post=extend_schema(
        request=_TransitionApi.Input,
        responses=OrderOutput,
        summary="Mark delivered (cash on delivery becomes paid)",
    )
)
class OrderDeliverApi(_TransitionApi):
    """Mark delivered (cash on delivery becomes paid)"""

    to = Order.Status.DELIVERED


@extend_schema_view(
    post=extend_schema(
        request=_TransitionApi.Input, responses=OrderOutput, summary="Mark completed"
    )
)
class OrderCompleteApi(_TransitionApi):
    """Mark completed"""

    to = Order.Status.COMPLETED


@extend_schema_view(
    post=extend_schema(
        request=_ReasonInput,
        responses=OrderOutput,
        summary="Cancel (buyer before confirmation; cooperative or admin with a reason)",
    )
)
class OrderCancelApi(_TransitionApi):
    """Cancel (buyer before confirmation; cooperative or admin with a reason)"""

    to = Order.Status.CANCELLED
    Input = _ReasonInput
