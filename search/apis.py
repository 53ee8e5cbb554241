"""Search API: GET /api/v1/search/products and GET /api/v1/search/suggest (public, read-only)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Certification
from search.backends import Query
from search.backends.base import MAX_SIZE, SORTS
from search.selectors import INCOTERMS, product_search, product_suggest


class _Facet(serializers.Serializer):
    value = serializers.JSONField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class ProductSearchApi(APIView):
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        q = serializers.CharField(
            required=False, allow_blank=True, default="", trim_whitespace=True
        )
        category = serializers.IntegerField(required=False, min_value=1)
        province = serializers.IntegerField(required=False, min_value=1)
        cooperative = serializers.IntegerField(required=False, min_value=1)
        certification = serializers.ChoiceField(choices=Certification.Kind.values, required=False)
        ocop_stars = serializers.IntegerField(required=False, min_value=1, max_value=5)
        price_min = serializers.IntegerField(required=False, min_value=0)
        price_max = serializers.IntegerField(required=False, min_value=0)
        in_stock = serializers.BooleanField(required=False, allow_null=True, default=None)
        export_ready = serializers.BooleanField(required=False, allow_null=True, default=None)
        incoterm = serializers.ChoiceField(choices=INCOTERMS, required=False)
        pack = serializers.CharField(required=False, max_length=60, help_text="a variant's pack")
        grade = serializers.CharField(required=False, max_length=60)
        crop_year = serializers.CharField(required=False, max_length=4)
        sort = serializers.ChoiceField(choices=SORTS, required=False, default="relevance")
        page = serializers.IntegerField(required=False, min_value=1, default=1)
        size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_SIZE, default=24)
        cursor = serializers.CharField(required=False, max_length=500)

        def validate_q(self, value):
            return value[:1000]  # the parser keeps far less; this bounds what we hold at all

    class OutputSerializer(serializers.Serializer):
        class Result(serializers.Serializer):
            """One product family (one card); `variant_id` is its cheapest purchasable variant."""

            class Variant(serializers.Serializer):
                id = serializers.IntegerField()
                label = serializers.CharField(source="variant_label")
                options = serializers.DictField(child=serializers.CharField())
                price_vnd = serializers.IntegerField(allow_null=True)
                unit = serializers.CharField()
                stock_qty = serializers.DecimalField(max_digits=14, decimal_places=3)

            id = serializers.IntegerField(help_text="the product family id")
            variant_id = serializers.IntegerField(source="variant.pk")
            slug = serializers.CharField()
            name_vi = serializers.CharField()
            name_en = serializers.CharField()
            highlight = serializers.DictField(child=serializers.CharField())
            price_vnd = serializers.IntegerField(
                source="price_min_vnd", allow_null=True, help_text="the lowest variant price"
            )
            price_min_vnd = serializers.IntegerField(allow_null=True)
            price_max_vnd = serializers.IntegerField(allow_null=True)
            variant_count = serializers.IntegerField()
            variants = Variant(many=True, source="shown_variants")
            unit = serializers.CharField(source="variant.unit")
            stock_qty = serializers.DecimalField(
                source="variant.stock_qty", max_digits=14, decimal_places=3
            )
            availability = serializers.CharField()
            cooperative_id = serializers.IntegerField()
            cooperative_name = serializers.CharField(source="cooperative.display_name")
            category_id = serializers.IntegerField(allow_null=True)
            origin_province_id = serializers.IntegerField(allow_null=True)

        results = Result(many=True)
        total = serializers.IntegerField()
        page = serializers.IntegerField()
        size = serializers.IntegerField()
        next_cursor = serializers.CharField(allow_null=True)
        suggestions = serializers.ListField(child=serializers.CharField())
        facets = serializers.DictField(child=_Facet(many=True))

    @extend_schema(
        parameters=[InputSerializer],
        responses=OutputSerializer,
        tags=["search"],
        summary="Search purchasable products (full text, filters, facets, sorting, paging)",
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = product_search(Query(**params.validated_data))
        return Response(self.OutputSerializer(page).data)


class ProductSuggestApi(APIView):
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        q = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
        limit = serializers.IntegerField(required=False, min_value=1, max_value=20, default=8)

    class OutputSerializer(serializers.Serializer):
        suggestions = serializers.ListField(child=serializers.CharField())

    @extend_schema(
        parameters=[InputSerializer],
        responses=OutputSerializer,
        tags=["search"],
        summary="Autocomplete product names from a prefix",
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        names = product_suggest(params.validated_data["q"], limit=params.validated_data["limit"])
        return Response(self.OutputSerializer({"suggestions": names}).data)
