"""Placing an order (Idempotency-Key required) and reading a checkout."""

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Incoterm
from market.api.output import represent
from market.api.permissions import SignedInApiRequest
from orders.apis.idempotent import idempotency_header, idempotent_response
from orders.apis.serializers import CheckoutOutput
from orders.models import Currency, PaymentMethod
from orders.selectors import checkout_get_for_buyer
from orders.services.cart import cart_get_or_create
from orders.services.checkout import ShippingAddress, checkout_place
from orders.services.stripe_payments import payment_intent_ensure

IDEMPOTENCY_HEADER = idempotency_header(required=True, purpose="order")


class CheckoutPlaceApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="CheckoutPlaceInput")
    class Input(serializers.Serializer):
        @extend_schema_serializer(component_name="CheckoutPlaceInputAddressInput")
        class AddressInput(serializers.Serializer):
            recipient_name = serializers.CharField(max_length=150)
            recipient_phone = serializers.CharField(max_length=20)
            address_line = serializers.CharField(max_length=255)
            country = serializers.CharField(max_length=2, default="VN")
            province_code = serializers.IntegerField(required=False, allow_null=True)
            ward_code = serializers.IntegerField(required=False, allow_null=True)
            city = serializers.CharField(
                max_length=100, required=False, allow_blank=True, default=""
            )
            postal_code = serializers.CharField(
                max_length=20, required=False, allow_blank=True, default=""
            )
            incoterm = serializers.ChoiceField(
                choices=Incoterm.choices, required=False, allow_blank=True, default=""
            )

        payment_method = serializers.ChoiceField(choices=PaymentMethod.choices)
        currency = serializers.ChoiceField(choices=Currency.choices, default=Currency.VND)
        address = AddressInput()
        notes = serializers.DictField(
            child=serializers.CharField(max_length=1000, allow_blank=True), required=False
        )
        expected_total_vnd = serializers.IntegerField(required=False, min_value=0)

    @extend_schema(
        request=Input,
        responses={201: CheckoutOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="Place the cart: one checkout, one order per cooperative",
    )
    def post(self, request: SignedInApiRequest) -> Response:
        def place(key: str | None) -> tuple[int, object]:
            checkout = self._place(request, key)
            checkout = checkout_get_for_buyer(user=request.user, checkout_id=checkout.pk)
            return 201, represent(CheckoutOutput, checkout)

        return idempotent_response(request, scope="POST checkout", required=True, run=place)

    def _place(self, request: SignedInApiRequest, key: str | None):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        cart = cart_get_or_create(user=request.user)
        notes = {int(k): s for k, s in (v.get("notes") or {}).items() if str(k).isdecimal()}
        return checkout_place(
            buyer=request.user,
            cart=cart,
            payment_method=v["payment_method"],
            currency=v["currency"],
            address=ShippingAddress(**v["address"]),
            notes=notes,
            expected_total_vnd=v.get("expected_total_vnd"),
            idempotency_key=key,
        )


class CheckoutDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=CheckoutOutput, summary="A checkout of mine, with its orders and payments"
    )
    def get(self, request: SignedInApiRequest, checkout_id: int) -> Response:
        checkout = checkout_get_for_buyer(user=request.user, checkout_id=checkout_id)
        return Response(represent(CheckoutOutput, checkout))


class CheckoutStripeIntentApi(APIView):
    """Create the card PaymentIntent again when the after-commit attempt failed (Stripe outage).
    The idempotency key derived from the checkout id makes this safe to call any number of times."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None, responses=CheckoutOutput, summary="Ensure the Stripe PaymentIntent exists"
    )
    def post(self, request: SignedInApiRequest, checkout_id: int) -> Response:
        checkout = checkout_get_for_buyer(user=request.user, checkout_id=checkout_id)
        payment_intent_ensure(checkout_id=checkout.pk)
        checkout = checkout_get_for_buyer(user=request.user, checkout_id=checkout_id)
        return Response(represent(CheckoutOutput, checkout))
