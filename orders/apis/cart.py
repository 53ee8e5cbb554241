"""Cart API: works for signed-in buyers and for guests (by session)."""

from typing import Any, Literal, overload

from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors as catalog_selectors
from market.api.output import represent
from orders.models import Cart
from orders.services.cart import (
    CartView,
    cart_change,
    cart_get_for_user,
    cart_get_or_create,
    cart_refresh,
)


@overload
def _cart(request: Request, *, create: Literal[True]) -> Cart: ...
@overload
def _cart(request: Request, *, create: bool) -> Cart | None: ...
def _cart(request: Request, *, create: bool) -> Cart | None:
    if request.user.is_authenticated:
        return (
            cart_get_or_create(user=request.user)
            if create
            else cart_get_for_user(user=request.user)
        )
    session = request._request.session
    if not session.session_key:
        if not create:
            return None
        session.save()
    if create:
        return cart_get_or_create(session_key=session.session_key)
    return Cart.objects.filter(session_key=session.session_key).first()


class CartOutput(serializers.Serializer):
    @extend_schema_serializer(component_name="CartOutputLineOutput")
    class LineOutput(serializers.Serializer):
        product_id = serializers.IntegerField(
            source="product.pk", help_text="deprecated: the same as variant_id"
        )
        variant_id = serializers.IntegerField(source="product.pk")
        family_id = serializers.IntegerField(source="product.family_id")
        name = serializers.CharField(source="product.full_name_vi")
        options = serializers.DictField(source="product.options", child=serializers.CharField())
        cooperative_id = serializers.IntegerField(source="product.cooperative_id")
        unit = serializers.CharField(source="product.unit")
        quantity = serializers.DecimalField(max_digits=14, decimal_places=3, normalize_output=True)
        unit_price_vnd = serializers.IntegerField()
        line_total_vnd = serializers.IntegerField()

    @extend_schema_serializer(component_name="CartOutputMessageOutput")
    class MessageOutput(serializers.Serializer):
        code = serializers.CharField()
        product_id = serializers.IntegerField()
        message = serializers.CharField()

    lines = LineOutput(many=True)
    messages = MessageOutput(many=True)
    subtotal_vnd = serializers.IntegerField()


def _render(view: CartView) -> Response:
    return Response(represent(CartOutput, view))


class CartGetApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses=CartOutput, summary="The cart, repriced from the database, with change messages"
    )
    def get(self, request: Request) -> HttpResponseBase:
        return _render(cart_refresh(cart=_cart(request, create=False)))


class CartLineAddApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="CartLineAddInput")
    class Input(serializers.Serializer):
        variant_id = serializers.IntegerField(min_value=1, required=False)
        product_id = serializers.IntegerField(
            min_value=1,
            required=False,
            help_text=(
                "Deprecated: use variant_id. Still accepted for a product with a single variant "
                "(its id is the variant's); a product with several variants answers 400 "
                "variant_required."
            ),
        )
        quantity = serializers.CharField(max_length=20)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if ("variant_id" in attrs) == ("product_id" in attrs):
                raise serializers.ValidationError(
                    {"variant_id": [_("Send variant_id (or, deprecated, product_id).")]}
                )
            return attrs

    @extend_schema(
        request=Input,
        responses=CartOutput,
        summary="Add a quantity of a variant to the cart",
    )
    def post(self, request: Request) -> HttpResponseBase:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        cart = _cart(request, create=True)
        variant_id = data.validated_data.get(
            "variant_id"
        ) or catalog_selectors.variant_id_for_product(product_id=data.validated_data["product_id"])
        # One transaction: the change, then the whole cart repriced for the answer.
        view = cart_change(
            cart=cart,
            product_id=variant_id,
            quantity=data.validated_data["quantity"],
            add=True,
        )
        return _render(view)


class CartLineUpdateApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="CartLineUpdateInput")
    class Input(serializers.Serializer):
        quantity = serializers.CharField(max_length=20)

    @extend_schema(
        request=Input, responses=CartOutput, summary="Set the quantity of a product in the cart"
    )
    def patch(self, request: Request, product_id: int) -> HttpResponseBase:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        cart = _cart(request, create=True)
        return _render(
            cart_change(cart=cart, product_id=product_id, quantity=data.validated_data["quantity"])
        )

    @extend_schema(responses=CartOutput, summary="Remove a product from the cart")
    def delete(self, request: Request, product_id: int) -> HttpResponseBase:
        cart = _cart(request, create=False)
        if cart is None:
            return _render(cart_refresh(cart=None))
        return _render(cart_change(cart=cart, product_id=product_id, quantity=None))
