"""Product API for cooperative staff: list/create, detail/update, publish, archive, tiers, stock.
Each view parses input, makes one domain call and renders the result."""

from django.http.response import HttpResponseBase
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors, services
from catalog.apis.outputs import ProductOutput, TierOutput
from catalog.models import Product
from catalog.permissions import IsCooperativeStaff
from market.accounts.apis import ERROR, name_nested_serializers
from market.api.permissions import SignedInApiRequest
from market.api.responses import created, paginated
from market.shared.base import QTY


class ProductInput(serializers.Serializer):
    """Rules (positive price, MOQ a multiple of the step, known unit/category, HS code…) are
    checked by the service, which names each failing field."""

    sku = serializers.CharField(max_length=64)
    name_vi = serializers.CharField(max_length=255)
    name_en = serializers.CharField(max_length=255, required=False, allow_blank=True)
    description_vi = serializers.CharField(required=False, allow_blank=True)
    description_en = serializers.CharField(required=False, allow_blank=True)
    category = serializers.IntegerField(required=False, allow_null=True)
    origin_province = serializers.IntegerField(required=False, allow_null=True)
    unit = serializers.CharField(max_length=8, required=False)
    price_vnd = serializers.IntegerField(required=False, allow_null=True)
    min_order_qty = serializers.DecimalField(required=False, **QTY)
    order_step = serializers.DecimalField(required=False, **QTY)
    stock_qty = serializers.DecimalField(required=False, **QTY)
    unit_weight_kg = serializers.DecimalField(required=False, allow_null=True, **QTY)
    availability = serializers.ChoiceField(Product.Availability.choices, required=False)
    harvest_start = serializers.DateField(required=False, allow_null=True)
    harvest_end = serializers.DateField(required=False, allow_null=True)
    season_months = serializers.ListField(child=serializers.IntegerField(), required=False)
    lead_time_days = serializers.IntegerField(min_value=0, max_value=365, required=False)
    hs_code = serializers.CharField(max_length=12, required=False, allow_blank=True)
    incoterms = serializers.ListField(child=serializers.CharField(max_length=3), required=False)
    packaging = serializers.CharField(max_length=255, required=False, allow_blank=True)
    port_of_loading = serializers.CharField(max_length=100, required=False, allow_blank=True)
    monthly_capacity = serializers.DecimalField(required=False, allow_null=True, **QTY)
    options = serializers.DictField(
        child=serializers.CharField(max_length=200, allow_blank=True),
        required=False,
        help_text="the variant's option values {kind: value}",
    )
    base_qty = serializers.DecimalField(required=False, allow_null=True, **QTY)
    base_unit = serializers.CharField(max_length=8, required=False, allow_blank=True)


def _model_fields(validated: dict) -> dict:
    renames = {"category": "category_id", "origin_province": "origin_province_id"}
    return {renames.get(k, k): v for k, v in validated.items()}


class ProductListCreateApi(APIView):
    permission_classes = [IsCooperativeStaff]

    class Input(ProductInput):
        pass

    @extend_schema(
        responses={200: ProductOutput(many=True), 404: ERROR}, summary="Products of my cooperative"
    )
    def get(self, request: SignedInApiRequest, coop_id: int) -> HttpResponseBase:
        qs = selectors.product_list_for_staff(user=request.user, cooperative_id=coop_id)
        if request.query_params.get("status") in Product.Status.values:
            qs = qs.filter(status=request.query_params["status"])
        return paginated(request, self, qs, ProductOutput)

    @extend_schema(
        request=Input,
        responses={201: ProductOutput, 400: ERROR, 404: ERROR},
        summary="Create a draft product",
    )
    def post(self, request: SignedInApiRequest, coop_id: int) -> HttpResponseBase:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        product = services.product_create(
            actor=request.user, cooperative_id=coop_id, data=_model_fields(data.validated_data)
        )
        return created(ProductOutput(product).data)


class ProductDetailUpdateApi(APIView):
    permission_classes = [IsCooperativeStaff]

    class Input(ProductInput):
        pass

    @extend_schema(responses={200: ProductOutput, 404: ERROR}, summary="One of my products")
    def get(self, request: SignedInApiRequest, coop_id: int, product_id: int) -> Response:
        product = selectors.product_get_for_staff(
            user=request.user, cooperative_id=coop_id, product_id=product_id
        )
        return Response(ProductOutput(product).data)

    @extend_schema(
        request=Input,
        responses={200: ProductOutput, 400: ERROR, 404: ERROR, 409: ERROR, 422: ERROR},
        summary="Change product fields (stock: use the stock endpoint)",
    )
    def patch(self, request: SignedInApiRequest, coop_id: int, product_id: int) -> Response:
        data = self.Input(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        product = services.product_update(
            actor=request.user,
            cooperative_id=coop_id,
            product_id=product_id,
            data=_model_fields(data.validated_data),
        )
        return Response(ProductOutput(_fresh(request, coop_id, product.pk)).data)

    @extend_schema(
        request=None,
        responses={204: None, 404: ERROR, 409: ERROR},
        summary="Delete a variant never ordered (not the last one of a published product)",
    )
    def delete(self, request: SignedInApiRequest, coop_id: int, product_id: int) -> Response:
        from catalog.services.families import variant_delete

        variant_delete(actor=request.user, cooperative_id=coop_id, variant_id=product_id)
        return Response(status=204)


def _fresh(request, coop_id, product_id):
    return selectors.product_get_for_staff(
        user=request.user, cooperative_id=coop_id, product_id=product_id
    )


class ProductPublishApi(APIView):
    permission_classes = [IsCooperativeStaff]

    @extend_schema(
        request=None,
        responses={200: ProductOutput, 404: ERROR, 409: ERROR, 422: ERROR},
        summary="Publish (needs a verified cooperative and a complete product)",
    )
    def post(self, request: SignedInApiRequest, coop_id: int, product_id: int) -> Response:
        services.product_publish(actor=request.user, cooperative_id=coop_id, product_id=product_id)
        return Response(ProductOutput(_fresh(request, coop_id, product_id)).data)


class ProductArchiveApi(APIView):
    permission_classes = [IsCooperativeStaff]

    @extend_schema(
        request=None, responses={200: ProductOutput, 404: ERROR, 409: ERROR}, summary="Archive"
    )
    def post(self, request: SignedInApiRequest, coop_id: int, product_id: int) -> Response:
        services.product_archive(actor=request.user, cooperative_id=coop_id, product_id=product_id)
        return Response(ProductOutput(_fresh(request, coop_id, product_id)).data)


class ProductTiersSetApi(APIView):
    permission_classes = [IsCooperativeStaff]

    class Input(serializers.Serializer):
        tiers = serializers.ListField(
            child=serializers.DictField(),
            allow_empty=True,
            max_length=10,
            help_text='[{"min_qty": "100", "price_vnd": 95000}, …]; [] removes the tiers',
        )

    class TierInput(serializers.Serializer):
        min_qty = serializers.DecimalField(**QTY)
        price_vnd = serializers.IntegerField()

    @extend_schema(
        request=Input,
        responses={200: TierOutput(many=True), 400: ERROR, 404: ERROR},
        summary="Replace the volume price tiers",
    )
    def put(self, request: SignedInApiRequest, coop_id: int, product_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        tiers = self.TierInput(data=data.validated_data["tiers"], many=True)
        tiers.is_valid(raise_exception=True)
        made = services.product_price_tiers_set(
            actor=request.user,
            cooperative_id=coop_id,
            product_id=product_id,
            tiers=tiers.validated_data,
        )
        return Response(TierOutput(made, many=True).data)


class ProductStockAdjustApi(APIView):
    permission_classes = [IsCooperativeStaff]

    class Input(serializers.Serializer):
        mode = serializers.ChoiceField(["set", "increase", "decrease"])
        quantity = serializers.DecimalField(**QTY)
        reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    @extend_schema(
        request=Input,
        responses={200: ProductOutput, 400: ERROR, 404: ERROR, 409: ERROR},
        summary="Set, add to or take from stock (never below zero)",
    )
    def post(self, request: SignedInApiRequest, coop_id: int, product_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        services.product_stock_adjust(
            actor=request.user, cooperative_id=coop_id, product_id=product_id, **data.validated_data
        )
        return Response(ProductOutput(_fresh(request, coop_id, product_id)).data)


name_nested_serializers(globals())
