"""Product families with their variants.

Public: `GET products/` (families of purchasable variants, each with its variants and price
range) and `GET families/{id}/`. Cooperative staff: create a family with its variants, edit what
they share, add a variant, bulk price/stock edit,, delete a variant
(`DELETE …/products/{id}/`, in products.py).
Each view parses input, makes one domain call and renders the result."""

from django.http.response import HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors
from catalog.apis.outputs import FamilyOutput, PublicFamilyDetailOutput, PublicFamilyOutput
from catalog.apis.products import QTY, _model_fields
from catalog.models import Product
from catalog.permissions import IsCooperativeStaff
from catalog.services import families as services
from market.accounts.apis import ERROR, name_nested_serializers
from market.api.permissions import SignedInApiRequest
from market.api.responses import created, paginated


class FamilyInput(serializers.Serializer):
    """What the variants share. Rules are checked by the service, which names each field."""

    name_vi = serializers.CharField(max_length=255)
    name_en = serializers.CharField(max_length=255, required=False, allow_blank=True)
    description_vi = serializers.CharField(required=False, allow_blank=True)
    description_en = serializers.CharField(required=False, allow_blank=True)
    category = serializers.IntegerField(required=False, allow_null=True)
    origin_province = serializers.IntegerField(required=False, allow_null=True)
    availability = serializers.ChoiceField(Product.Availability.choices, required=False)
    harvest_start = serializers.DateField(required=False, allow_null=True)
    harvest_end = serializers.DateField(required=False, allow_null=True)
    season_months = serializers.ListField(child=serializers.IntegerField(), required=False)
    hs_code = serializers.CharField(max_length=12, required=False, allow_blank=True)
    incoterms = serializers.ListField(child=serializers.CharField(max_length=3), required=False)
    port_of_loading = serializers.CharField(max_length=100, required=False, allow_blank=True)
    family_key = serializers.CharField(max_length=64, required=False, allow_blank=True)


class VariantInput(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    options = serializers.DictField(
        child=serializers.CharField(max_length=200, allow_blank=True),
        required=False,
        help_text='{"pack": "túi 250 g", "grade": "S18", "crop_year": "2025", "style": "…"}',
    )
    unit = serializers.CharField(max_length=8, required=False)
    base_qty = serializers.DecimalField(required=False, allow_null=True, **QTY)
    base_unit = serializers.CharField(max_length=8, required=False, allow_blank=True)
    price_vnd = serializers.IntegerField(required=False, allow_null=True)
    min_order_qty = serializers.DecimalField(required=False, **QTY)
    order_step = serializers.DecimalField(required=False, **QTY)
    stock_qty = serializers.DecimalField(required=False, **QTY)
    unit_weight_kg = serializers.DecimalField(required=False, allow_null=True, **QTY)
    lead_time_days = serializers.IntegerField(min_value=0, max_value=365, required=False)
    packaging = serializers.CharField(max_length=255, required=False, allow_blank=True)
    monthly_capacity = serializers.DecimalField(required=False, allow_null=True, **QTY)


class FamilyPublicListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("cooperative", int, description="only this cooperative's"),
            OpenApiParameter("category", int, description="only this category (not below it)"),
        ],
        responses={200: PublicFamilyOutput(many=True)},
        summary="Products (families) buyers can buy, each with its purchasable variants",
    )
    def get(self, request: Request) -> HttpResponseBase:
        qs = selectors.family_list_purchasable()
        for param, field in (("cooperative", "cooperative_id"), ("category", "category_id")):
            if (value := request.query_params.get(param, "")).isdigit():
                qs = qs.filter(**{field: int(value)})
        return paginated(request, self, qs, PublicFamilyOutput)


class FamilyPublicDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: PublicFamilyDetailOutput, 404: ERROR},
        summary="A product (family) with its purchasable variants and certifications",
    )
    def get(self, request: Request, family_id: int) -> Response:
        family = selectors.family_get_for_public(family_id=family_id)
        return Response(PublicFamilyDetailOutput(family).data)


class FamilyCreateApi(APIView):
    permission_classes = [IsCooperativeStaff]

    class Input(FamilyInput):
        variants = VariantInput(many=True, allow_empty=False)

    @extend_schema(
        responses={200: FamilyOutput(many=True), 404: ERROR},
        summary="Products (families) of my cooperative, with every variant",
    )
    def get(self, request: SignedInApiRequest, coop_id: int) -> HttpResponseBase:
        qs = selectors.family_list_for_staff(user=request.user, cooperative_id=coop_id)
        return paginated(request, self, qs, FamilyOutput)

    @extend_schema(
        request=Input,
        responses={201: FamilyOutput, 400: ERROR, 404: ERROR},
        summary="Create a product family with its draft variants",
    )
    def post(self, request: SignedInApiRequest, coop_id: int) -> HttpResponseBase:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        variants = fields.pop("variants")
        family = services.family_create(
            actor=request.user,
            cooperative_id=coop_id,
            data=_model_fields(fields),
            variants=variants,
        )
        return created(FamilyOutput(_fresh(request, coop_id, family.pk)).data)


def _fresh(request, coop_id, family_id):
    return selectors.family_get_for_staff(
        user=request.user, cooperative_id=coop_id, family_id=family_id
    )


class FamilyDetailUpdateApi(APIView):
    permission_classes = [IsCooperativeStaff]

    class Input(FamilyInput):
        pass

    @extend_schema(responses={200: FamilyOutput, 404: ERROR}, summary="One of my families")
    def get(self, request: SignedInApiRequest, coop_id: int, family_id: int) -> Response:
        return Response(FamilyOutput(_fresh(request, coop_id, family_id)).data)

    @extend_schema(
        request=Input,
        responses={200: FamilyOutput, 400: ERROR, 404: ERROR},
        summary="Change what the variants share (every variant gets it)",
    )
    def patch(self, request: SignedInApiRequest, coop_id: int, family_id: int) -> Response:
        data = self.Input(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.family_update(
            actor=request.user,
            cooperative_id=coop_id,
            family_id=family_id,
            data=_model_fields(data.validated_data),
        )
        return Response(FamilyOutput(_fresh(request, coop_id, family_id)).data)


class VariantAddApi(APIView):
    permission_classes = [IsCooperativeStaff]

    class Input(VariantInput):
        pass

    @extend_schema(
        request=Input,
        responses={201: FamilyOutput, 400: ERROR, 404: ERROR},
        summary="Add a draft variant (its SKU and options must be new)",
    )
    def post(self, request: SignedInApiRequest, coop_id: int, family_id: int) -> HttpResponseBase:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        services.variant_add(
            actor=request.user,
            cooperative_id=coop_id,
            family_id=family_id,
            data=dict(data.validated_data),
        )
        return created(FamilyOutput(_fresh(request, coop_id, family_id)).data)


class VariantsBulkEditApi(APIView):
    permission_classes = [IsCooperativeStaff]

    class Input(serializers.Serializer):
        class Row(serializers.Serializer):
            variant_id = serializers.IntegerField()
            price_vnd = serializers.IntegerField(required=False, allow_null=True)
            stock_qty = serializers.DecimalField(required=False, allow_null=True, **QTY)

        rows = Row(many=True, allow_empty=False)

    @extend_schema(
        request=Input,
        responses={200: FamilyOutput, 400: ERROR, 404: ERROR, 409: ERROR},
        summary="Set price and/or stock of several variants at once (all or nothing)",
    )
    def post(self, request: SignedInApiRequest, coop_id: int, family_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        services.variants_bulk_edit(
            actor=request.user,
            cooperative_id=coop_id,
            family_id=family_id,
            rows=data.validated_data["rows"],
        )
        return Response(FamilyOutput(_fresh(request, coop_id, family_id)).data)


name_nested_serializers(globals())
