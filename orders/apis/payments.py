"""Payment endpoints: VietQR per order, bank-transfer confirmation, the bank-feed reconcile hook,
the Stripe webhook and refunds."""

import hmac
import logging
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from market.accounts.throttles import LiveScopedRateThrottle
from market.api.output import represent
from market.api.permissions import IsPlatformAdmin, SignedInApiRequest
from market.api.responses import paginated
from market.errors import DomainError
from orders import vietqr
from orders.apis.idempotent import idempotency_header, idempotent_response
from orders.apis.serializers import OrderOutput, RefundAdminOutput, RefundOutput
from orders.errors import ValidationFailed, VietQRUnavailable
from orders.models import Order, PaymentMethod, Refund
from orders.selectors import order_get_for_actor, refund_list_for_admin
from orders.services.payments import bankfeed_reconcile, payment_bank_transfer_confirm
from orders.services.refunds import refund_create, refund_mark_paid_out
from orders.services.stripe_payments import stripe_webhook_handle

log = logging.getLogger("htx.orders.webhook")


def order_vietqr_payload(order: Order) -> str:
    payee = order.payee  # the account snapshotted at checkout
    if order.payment_method != PaymentMethod.BANK_TRANSFER or not (
        payee["bank_bin"] and payee["bank_account"]
    ):
        raise VietQRUnavailable()
    try:
        return vietqr.payload(
            bin_code=payee["bank_bin"],
            account=payee["bank_account"],
            amount=order.total_vnd,
            memo=order.code or "",
        )
    except ValueError:
        raise VietQRUnavailable()


class OrderVietQRApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="OrderVietQROutput")
    class Output(serializers.Serializer):
        payload = serializers.CharField()
        bank_bin = serializers.CharField()
        bank_account = serializers.CharField()
        bank_account_name = serializers.CharField()
        amount_vnd = serializers.IntegerField()
        memo = serializers.CharField()

    @extend_schema(
        responses=Output, summary="VietQR (EMVCo) payload for paying an order by bank transfer"
    )
    def get(self, request: SignedInApiRequest, code: str) -> Response:
        order = order_get_for_actor(user=request.user, code=code, detail=False)
        data = order_vietqr_payload(order)
        return Response(
            self.Output(
                {
                    "payload": data,
                    **order.payee,
                    "amount_vnd": order.total_vnd,
                    "memo": order.code,
                }
            ).data
        )


class OrderVietQRImageApi(APIView):
    permission_classes = [IsAuthenticated]
    KINDS = {"svg": "image/svg+xml", "png": "image/png"}

    @extend_schema(
        responses={
            (200, "image/svg+xml"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
        },
        summary="VietQR as an SVG or PNG image",
    )
    def get(self, request: SignedInApiRequest, code: str, kind: str) -> HttpResponseBase:
        order = order_get_for_actor(user=request.user, code=code, detail=False)
        body = vietqr.image(order_vietqr_payload(order), kind=kind)
        response = HttpResponse(body, content_type=self.KINDS[kind])
        response["Cache-Control"] = "private, max-age=300"
        return response


class OrderPaymentConfirmApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="OrderPaymentConfirmInput")
    class Input(serializers.Serializer):
        note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    @extend_schema(
        request=Input,
        responses=OrderOutput,
        summary="Confirm a bank transfer arrived (cooperative, admin)",
    )
    def post(self, request: SignedInApiRequest, code: str) -> Response:
        order = order_get_for_actor(user=request.user, code=code, detail=False)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        payment_bank_transfer_confirm(
            actor=request.user, order_id=order.pk, note=data.validated_data["note"]
        )
        return Response(represent(OrderOutput, order_get_for_actor(user=request.user, code=code)))


class OrderRefundApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="OrderRefundInput")
    class Input(serializers.Serializer):
        amount_vnd = serializers.IntegerField(min_value=1)
        reason = serializers.CharField(max_length=2000)
        method = serializers.ChoiceField(
            choices=["card", "wire"],
            required=False,
            help_text="Export orders paid in installments: card (through Stripe, within one "
            "card payment; the default while card money is left) or wire (paid back by bank "
            "transfer, pending until an admin marks it paid out).",
        )
        refundable_seen_vnd = serializers.IntegerField(
            min_value=0,
            required=False,
            help_text="What was left to refund when the asker decided (the order's amount paid "
            "less refunded). When it is no longer what is left (the same refund sent twice, "
            "or another refund meanwhile) the refund is refused with 409 refund_changed.",
        )

    @extend_schema(responses=RefundOutput(many=True), summary="Refunds of an order")
    def get(self, request: SignedInApiRequest, code: str) -> Response:
        order = order_get_for_actor(user=request.user, code=code, detail=False)
        return Response(RefundOutput(order.refunds.all(), many=True).data)

    @extend_schema(
        request=Input,
        responses={201: RefundOutput},
        parameters=[idempotency_header(required=False, purpose="refund")],
        summary="Refund part or all of a paid order",
    )
    def post(self, request: SignedInApiRequest, code: str) -> Response:
        order = order_get_for_actor(user=request.user, code=code, detail=False)

        def refund(_key: str | None) -> tuple[int, object]:
            data = self.Input(data=request.data)
            data.is_valid(raise_exception=True)
            made = refund_create(actor=request.user, order_id=order.pk, **data.validated_data)
            made.refresh_from_db()
            return 201, RefundOutput(made).data

        return idempotent_response(
            request, scope=f"POST refund {order.pk}", required=False, run=refund
        )


class RefundListAdminApi(APIView):
    """Refunds for admins; `?status=PENDING&provider=bank_transfer` is the pay-back list."""

    permission_classes = [IsPlatformAdmin]

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=Refund.Status.values, required=False),
            OpenApiParameter("provider", str, enum=PaymentMethod.values, required=False),
        ],
        responses=RefundAdminOutput(many=True),
        summary="All refunds (admin)",
    )
    def get(self, request: SignedInApiRequest) -> HttpResponseBase:
        status, provider = (
            request.query_params.get("status") or None,
            request.query_params.get("provider") or None,
        )
        if (status and status not in Refund.Status.values) or (
            provider and provider not in PaymentMethod.values
        ):
            raise ValidationFailed(fields={"status": [status or ""], "provider": [provider or ""]})
        refunds = refund_list_for_admin(user=request.user, status=status, provider=provider)
        return paginated(request, self, refunds, RefundAdminOutput)


class RefundPaidOutApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="RefundPaidOutInput")
    class Input(serializers.Serializer):
        note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    @extend_schema(
        request=Input,
        responses=RefundAdminOutput,
        summary="Record that a pending bank-transfer/cash refund was paid back (admin)",
    )
    def post(self, request: SignedInApiRequest, refund_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        refund = refund_mark_paid_out(
            actor=request.user, refund_id=refund_id, note=data.validated_data["note"]
        )
        return Response(RefundAdminOutput(refund).data)


@extend_schema_serializer(component_name="WebhookOutput")
class _WebhookOutput(serializers.Serializer):
    received = serializers.BooleanField()
    duplicate = serializers.BooleanField()
    result = serializers.CharField()


@method_decorator(csrf_exempt, name="dispatch")
class StripeWebhookApi(APIView):
    """Stripe calls this; it is authenticated by the Stripe-Signature over the raw body."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request={"application/json": dict}, responses=_WebhookOutput, summary="Stripe webhook"
    )
    def post(self, request: Request) -> Response:
        payload = request._request.body  # the raw bytes: re-serialised JSON would break the HMAC
        try:
            event, duplicate = stripe_webhook_handle(
                payload=payload, sig_header=request.headers.get("Stripe-Signature")
            )
        except DomainError:
            raise
        except Exception:
            # A 5xx makes Stripe retry later; the failure is recorded on the event row.
            log.exception("stripe webhook failed")
            return Response(
                {"code": "webhook_failed", "message": "internal error", "fields": {}}, status=500
            )
        return Response({"received": True, "duplicate": duplicate, "result": event.result})


class BankFeedAuthentication(BaseAuthentication):
    """`Authorization: Bearer <BANK_RECONCILE_TOKEN>`, compared in constant time."""

    def authenticate(self, request: Request) -> tuple[None, str]:
        header = request.headers.get("Authorization", "")
        token = settings.BANK_RECONCILE_TOKEN
        if not header.startswith("Bearer ") or not token:
            raise AuthenticationFailed()
        if not hmac.compare_digest(header[7:].strip().encode(), token.encode()):
            raise AuthenticationFailed()
        return (None, "bankfeed")

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"


class BankFeedAuthScheme(OpenApiAuthenticationExtension):
    target_class = "orders.apis.payments.BankFeedAuthentication"
    name = "bankFeedBearer"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "BANK_RECONCILE_TOKEN"}


class BankReconcileApi(APIView):
    authentication_classes = [BankFeedAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = [LiveScopedRateThrottle]
    throttle_scope = "reconcile"

    @extend_schema_serializer(component_name="BankReconcileInput")
    class Input(serializers.Serializer):
        transaction_id = serializers.CharField(max_length=255)
        amount_vnd = serializers.IntegerField(min_value=1)
        memo = serializers.CharField(max_length=500, allow_blank=True)
        account = serializers.CharField(max_length=32, required=False, allow_blank=True)
        occurred_at = serializers.DateTimeField(required=False)

    @extend_schema_serializer(component_name="BankReconcileOutput")
    class Output(serializers.Serializer):
        transaction_id = serializers.CharField()
        result = serializers.CharField()
        duplicate = serializers.BooleanField()

    @extend_schema(
        request=Input, responses=Output, summary="Bank-feed service reports an incoming transfer"
    )
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        event, duplicate = bankfeed_reconcile(
            transaction_id=v["transaction_id"],
            amount_vnd=v["amount_vnd"],
            memo=v["memo"],
            payload=self.Input(v).data,
        )
        return Response(
            {"transaction_id": event.event_id, "result": event.result, "duplicate": duplicate}
        )
