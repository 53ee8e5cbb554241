"""Search API: GET /api/v1/search/products and GET /api/v1/search/suggest (public, read-only)."""

import copy
from decimal import Context, Decimal
from typing import Any

import orjson
from django.http.response import HttpResponseBase
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import renderers, serializers
from rest_framework.fields import empty
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Certification
from market.api.converters import ID_MAX
from market.shared import pagecache
from search.backends import Query
from search.backends.base import MAX_SIZE, SORTS
from search.fastpath import SEARCH_ERROR
from search.selectors import (
    INCOTERMS,
    ProductCard,
    ProductSearchPage,
    product_search,
    product_suggest,
)

# Prices are stored in 64-bit columns; a bigger bound is not a price and would overflow SQLite.
PRICE_MAX = 2**63 - 1


class _Facet(serializers.Serializer):
    value = serializers.JSONField()
    # DRF's metaclass takes declared fields off the class, so this does not shadow Field.label;
    # the stubs cannot see that.
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()


class JSONRenderer(renderers.JSONRenderer):
    """DRF's compact JSON, the same bytes, made by orjson: a search page (24 cards with their
    variants, facets) took DRF's encoder ~0.5 ms, orjson a tenth of that. Data that orjson
    does not take as it is (lazy translations, decimals, non-string keys, integers past 64 bits:
    error answers) and indented output go to DRF's encoder. The data must hold no floats (their
    text differs): page_data holds none."""

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Any = None,
    ) -> bytes:
        plain = self.compact and not self.ensure_ascii and data is not None
        indent = self.get_indent(accepted_media_type or "", renderer_context or {})
        if plain and indent is None:
            try:
                out = orjson.dumps(data)
            except TypeError:
                pass
            else:  # as DRF: U+2028 and U+2029 escaped (JSON that is also JavaScript)
                return out.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return super().render(data, accepted_media_type, renderer_context)


class ProductSearchApi(APIView):
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer, renderers.BrowsableAPIRenderer]  # DRF's defaults, ours first

    class InputSerializer(serializers.Serializer):
        q = serializers.CharField(
            required=False, allow_blank=True, default="", trim_whitespace=True
        )
        category = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX)
        province = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX)
        cooperative = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX)
        certification = serializers.ChoiceField(choices=Certification.Kind.values, required=False)
        ocop_stars = serializers.IntegerField(required=False, min_value=1, max_value=5)
        price_min = serializers.IntegerField(required=False, min_value=0, max_value=PRICE_MAX)
        price_max = serializers.IntegerField(required=False, min_value=0, max_value=PRICE_MAX)
        in_stock = serializers.BooleanField(required=False, allow_null=True, default=None)
        export_ready = serializers.BooleanField(required=False, allow_null=True, default=None)
        incoterm = serializers.ChoiceField(choices=INCOTERMS, required=False)
        pack = serializers.CharField(required=False, max_length=60, help_text="a variant's pack")
        grade = serializers.CharField(required=False, max_length=60)
        crop_year = serializers.CharField(required=False, max_length=4)
        sort = serializers.ChoiceField(choices=SORTS, required=False, default="relevance")
        page = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX, default=1)
        size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_SIZE, default=24)
        cursor = serializers.CharField(required=False, max_length=500)

        def validate_q(self, value: str) -> str:
            return value[:1000]  # the parser keeps far less; this bounds what we hold at all

        def get_fields(self) -> dict[str, serializers.Field]:
            # DRF deep-copies every declared field for each serializer, which re-runs each
            # field's __init__ (0.4 ms of an 8 ms search request, for 18 query parameters).
            # A shallow copy of the unbound declared field is enough here: these fields keep no
            # state of their own while validating (their validators and choices are read only),
            # and each request binds its own copies.
            # Validating the data: only the parameters it gives and those with a default. A
            # parameter left out without a default (none of them is required) is skipped by
            # DRF anyway, so the validated data and the errors are the same (a request names
            # 2-4 of the 18: 116 -> 50 us). Without data (the OpenAPI schema): every field.
            given = getattr(self, "initial_data", None)
            return {
                name: copy.copy(field)
                for name, field in self._declared_fields.items()
                if given is None or name in given or field.default is not empty
            }

    @extend_schema_serializer(component_name="ProductSearchPage")
    class OutputSerializer(serializers.Serializer):
        class Result(serializers.Serializer):
            """One product family (one card); `variant_id` is its cheapest purchasable variant."""

            class Variant(serializers.Serializer):
                id = serializers.IntegerField()
                label = serializers.CharField()  # type: ignore[assignment]  # as _Facet.label
                options = serializers.DictField(child=serializers.CharField())
                price_vnd = serializers.IntegerField(allow_null=True)
                unit = serializers.CharField()
                stock_qty = serializers.DecimalField(max_digits=14, decimal_places=3)

            id = serializers.IntegerField(help_text="the product family id")
            slug = serializers.CharField()
            sku = serializers.CharField()
            name = serializers.CharField(help_text="In the request's language.")
            name_vi = serializers.CharField()
            name_en = serializers.CharField()
            highlight = serializers.DictField(child=serializers.CharField())
            variant_id = serializers.IntegerField(help_text="its cheapest purchasable variant")
            price_min_vnd = serializers.IntegerField(allow_null=True)
            price_max_vnd = serializers.IntegerField(allow_null=True)
            variant_count = serializers.IntegerField()
            variants = Variant(many=True)
            cooperative_id = serializers.IntegerField()
            cooperative_name = serializers.CharField()
            cooperative_province_id = serializers.IntegerField()
            cooperative_province_name = serializers.CharField()
            origin_province_id = serializers.IntegerField(allow_null=True)
            origin_province_name = serializers.CharField(allow_null=True)
            category_id = serializers.IntegerField(allow_null=True)
            category_name = serializers.CharField(allow_null=True)
            thumbnail_url = serializers.CharField(allow_null=True)
            unit = serializers.CharField()
            unit_label = serializers.CharField()
            price_vnd = serializers.IntegerField(allow_null=True)
            base_unit = serializers.CharField(allow_null=True)
            base_unit_label = serializers.CharField(allow_null=True)
            price_per_base_unit_vnd = serializers.IntegerField(allow_null=True)
            stock_qty = serializers.DecimalField(max_digits=14, decimal_places=3)
            in_stock = serializers.BooleanField()
            availability = serializers.CharField()
            availability_label = serializers.CharField()

        results = Result(many=True)
        total = serializers.IntegerField()
        total_exact = serializers.BooleanField(
            help_text="False when the match is larger than SEARCH_EXACT_COUNT_UP_TO: total and "
            "facet counts are then estimates (estimated_facets names the facets whose counts are)"
        )
        estimated_facets = serializers.ListField(
            child=serializers.CharField(),
            help_text="The facets whose counts are estimates (counted over the newest "
            "SEARCH_EXACT_COUNT_UP_TO matches of a bigger match, then scaled); the counts of "
            "every other facet are exact",
        )
        page = serializers.IntegerField()
        size = serializers.IntegerField()
        next_cursor = serializers.CharField(allow_null=True)
        suggestions = serializers.ListField(child=serializers.CharField())
        degraded = serializers.BooleanField(
            help_text="True when the search engine is down and the database answered "
            "(also the X-Search-Degraded: 1 header): results are simpler, still current."
        )
        corrected_query = serializers.CharField(
            allow_null=True, help_text="Set when typos were corrected to find these results."
        )
        facets = serializers.DictField(child=_Facet(many=True))

    @extend_schema(
        parameters=[InputSerializer],
        responses=OutputSerializer,
        tags=["search"],
        summary="Search purchasable products (full text, filters, facets, sorting, paging)",
    )
    def get(self, request: Request) -> HttpResponseBase:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        failed = request.META.get(SEARCH_ERROR)  # search.fastpath tried and the search raised
        if failed is not None:
            raise failed
        data = product_search_answer(params.validated_data)
        response = Response(data)
        if data["degraded"]:
            response["X-Search-Degraded"] = "1"
        return response


def product_search_answer(values: dict) -> dict:
    """The search API's answer to validated parameters (ProductSearchApi and search.fastpath).
    The same answer for everyone (no user data in it): shared briefly by every client
    (market.shared.pagecache); a degraded answer is never kept."""
    return pagecache.cached(
        "api-search",
        sorted(values.items()),
        lambda: page_data(product_search(Query(**values))),
        keep=lambda d: not d["degraded"],
    )


QTY = Decimal("0.001")  # the decimal places of the stock fields of OutputSerializer
QTY_CONTEXT = Context(prec=14)  # their max_digits (and the default rounding, as DRF)


def page_data(page: ProductSearchPage) -> dict[str, Any]:
    """What `ProductSearchApi.OutputSerializer(page).data` gives (the same keys in the same
    order, the same value types: the schema stays that serializer's), built directly from the
    cards: DRF's field by field serialisation of 24 cards of 33 fields with their variants
    took 2-3 ms of a request whose search took 10 (`test_page_data_is_what_the_serializer_gives`
    keeps the two equal)."""
    return {
        "results": [_card_data(card) for card in page.results],
        "total": page.total,
        "total_exact": bool(page.total_exact),
        "estimated_facets": list(page.estimated_facets),
        "page": page.page,
        "size": page.size,
        "next_cursor": page.next_cursor,
        "suggestions": [str(s) for s in page.suggestions],
        "degraded": bool(page.degraded),
        "corrected_query": page.corrected_query,
        "facets": {
            name: [
                {"value": v["value"], "label": str(v["label"]), "count": int(v["count"])}
                for v in values
            ]
            for name, values in page.facets.items()
        },
    }


def _qty(value: Decimal) -> str:
    """As DecimalField(max_digits=14, decimal_places=3): quantized, then "{:f}"."""
    value = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    return f"{value.quantize(QTY, context=QTY_CONTEXT):f}"


def _card_data(c: ProductCard) -> dict[str, Any]:
    return {
        "id": c.id,
        "slug": c.slug,
        "sku": c.sku,
        "name": c.name,
        "name_vi": c.name_vi,
        "name_en": c.name_en,
        "highlight": {k: str(v) for k, v in c.highlight.items()},
        "variant_id": c.variant_id,
        "price_min_vnd": c.price_min_vnd,
        "price_max_vnd": c.price_max_vnd,
        "variant_count": c.variant_count,
        "variants": [
            {
                "id": v["id"],
                "label": str(v["label"]),
                "options": {k: str(x) for k, x in v["options"].items()},
                "price_vnd": v["price_vnd"],
                "unit": str(v["unit"]),
                "stock_qty": _qty(v["stock_qty"]),
            }
            for v in c.variants
        ],
        "cooperative_id": c.cooperative_id,
        "cooperative_name": c.cooperative_name,
        "cooperative_province_id": c.cooperative_province_id,
        "cooperative_province_name": c.cooperative_province_name,
        "origin_province_id": c.origin_province_id,
        "origin_province_name": c.origin_province_name,
        "category_id": c.category_id,
        "category_name": c.category_name,
        "thumbnail_url": c.thumbnail_url,
        "unit": str(c.unit),
        "unit_label": c.unit_label,
        "price_vnd": c.price_vnd,
        "base_unit": c.base_unit,
        "base_unit_label": c.base_unit_label,
        "price_per_base_unit_vnd": c.price_per_base_unit_vnd,
        "stock_qty": _qty(c.stock_qty),
        "in_stock": bool(c.in_stock),
        "availability": str(c.availability),
        "availability_label": c.availability_label,
    }


class ProductSuggestApi(APIView):
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        q = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
        limit = serializers.IntegerField(required=False, min_value=1, max_value=20, default=8)

    @extend_schema_serializer(component_name="ProductSuggestions")
    class OutputSerializer(serializers.Serializer):
        suggestions = serializers.ListField(child=serializers.CharField())

    @extend_schema(
        parameters=[InputSerializer],
        responses=OutputSerializer,
        tags=["search"],
        summary="Autocomplete product names from a prefix",
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        names = product_suggest(params.validated_data["q"], limit=params.validated_data["limit"])
        return Response(self.OutputSerializer({"suggestions": names}).data)
