"""RFQ API under /api/v1/rfqs/: one small view per operation; services do the work."""

from django.core.files.storage import storages
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from market.api.permissions import SignedInApiRequest
from market.api.responses import created, paginated
from orders.models import BalanceDue
from quotes import selectors, services
from quotes.comparison import quote_comparison
from quotes.errors import CurrencyUnsupported, NotFound, ValidationFailed
from quotes.models import Quote, Rfq, RfqMessage


class RfqOutput(serializers.ModelSerializer):
    buyer = serializers.SerializerMethodField()
    cooperative_name = serializers.CharField(source="cooperative.display_name", default=None)
    family_name = serializers.SerializerMethodField()
    product_name = serializers.CharField(source="product.name_en", default=None)
    category_name = serializers.CharField(source="category.name_en", default=None)
    quote_count = serializers.IntegerField(read_only=True, default=0)
    is_open = serializers.BooleanField(read_only=True)

    class Meta:
        model = Rfq
        fields = [
            "id",
            "code",
            "status",
            "is_open",
            "buyer",
            "cooperative",
            "cooperative_name",
            "family",
            "family_name",
            "product",
            "product_name",
            "category",
            "category_name",
            "title",
            "specification",
            "quantity",
            "unit",
            "target_price",
            "target_currency",
            "incoterm",
            "named_place",
            "destination_country",
            "delivery_from",
            "delivery_to",
            "certifications",
            "packaging",
            "sample_wanted",
            "closes_at",
            "closed_at",
            "quote_count",
            "created_at",
        ]

    def get_family_name(self, rfq: Rfq) -> str | None:
        family = rfq.family
        return (family.name_en or family.name_vi) if family else None

    def get_buyer(self, rfq: Rfq) -> str:
        profile = getattr(rfq.buyer, "buyer_profile", None)
        return (profile.company_name if profile else "") or rfq.buyer.full_name


class QuoteOutput(serializers.ModelSerializer):
    cooperative_name = serializers.CharField(source="cooperative.display_name")
    order_code = serializers.CharField(source="order.code", default=None)
    expired = serializers.BooleanField(source="is_expired")

    class Meta:
        model = Quote
        fields = [
            "id",
            "rfq",
            "cooperative",
            "cooperative_name",
            "product",
            "status",
            "revision",
            "unit_price",
            "currency",
            "unit",
            "incoterm",
            "named_place",
            "quantity",
            "moq",
            "lead_time_days",
            "valid_until",
            "expired",
            "deposit_percent",
            "balance_due",
            "packaging",
            "note",
            "usd_vnd_rate",
            "rate_date",
            "rate_source",
            "accepted_at",
            "order_code",
            "created_at",
            "updated_at",
        ]


class MessageOutput(serializers.ModelSerializer):
    author = serializers.CharField(source="author.full_name", default="")
    attachment = serializers.SerializerMethodField()

    class Meta:
        model = RfqMessage
        fields = [
            "id",
            "cooperative",
            "author",
            "body",
            "attachment",
            "attachment_name",
            "attachment_type",
            "attachment_size",
            "created_at",
        ]

    def get_attachment(self, m: RfqMessage) -> str | None:
        if not m.attachment:
            return None
        return f"/api/v1/rfqs/{m.rfq_id}/threads/{m.cooperative_id}/messages/{m.pk}/attachment"


class RfqListCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="RfqCreateInput")
    class Input(serializers.Serializer):
        title = serializers.CharField(max_length=200)
        family_id = serializers.IntegerField(
            required=False,
            allow_null=True,
            help_text="The product asked for (a family, as `/api/v1/products/` lists them).",
        )
        variant_id = serializers.IntegerField(
            required=False,
            allow_null=True,
            help_text="Optional: the variant the buyer chose; names the family when "
            "`family_id` is left out, and must be one of its variants when both are sent.",
        )
        product_id = serializers.IntegerField(
            required=False,
            allow_null=True,
            help_text="Deprecated: a variant id, read as `variant_id`.",
        )
        category_id = serializers.IntegerField(required=False, allow_null=True)
        cooperative_id = serializers.IntegerField(required=False, allow_null=True)
        direct = serializers.BooleanField(
            required=False,
            default=False,
            help_text="With a product: ask only its cooperative (the 'Request a quote' button).",
        )
        specification = serializers.CharField(required=False, allow_blank=True, default="")
        quantity = serializers.DecimalField(max_digits=14, decimal_places=3)
        unit = serializers.CharField(max_length=8)
        target_price = serializers.DecimalField(
            max_digits=16, decimal_places=2, required=False, allow_null=True
        )
        target_currency = serializers.CharField(max_length=3, required=False, allow_blank=True)
        incoterm = serializers.CharField(
            max_length=3, help_text="EXW, FCA, FOB, CFR, CIF, DAP, DDP"
        )
        named_place = serializers.CharField(max_length=120)
        destination_country = serializers.CharField(max_length=2)
        delivery_from = serializers.DateField()
        delivery_to = serializers.DateField()
        certifications = serializers.ListField(child=serializers.CharField(), required=False)
        packaging = serializers.CharField(required=False, allow_blank=True, default="")
        sample_wanted = serializers.BooleanField(required=False, default=False)
        closes_at = serializers.DateTimeField()

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=Rfq.Status.values, required=False)],
        responses=RfqOutput(many=True),
        summary="RFQs I may see (buyer: mine; cooperative: addressed and matching; admin: all)",
    )
    def get(self, request: SignedInApiRequest) -> HttpResponseBase:
        status = request.query_params.get("status") or None
        if status and status not in Rfq.Status.values:
            raise ValidationFailed(fields={"status": [status]})
        qs = selectors.rfq_list_for_actor(user=request.user, status=status)
        return paginated(request, self, qs, RfqOutput)

    @extend_schema(request=Input, responses={201: RfqOutput}, summary="Post an RFQ (company buyer)")
    def post(self, request: SignedInApiRequest) -> HttpResponseBase:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        rfq = services.rfq_create(buyer=request.user, data=data.validated_data)
        return created(
            RfqOutput(selectors.rfq_get_for_actor(user=request.user, rfq_id=rfq.pk).rfq).data
        )


class RfqDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=RfqOutput, summary="One RFQ")
    def get(self, request: SignedInApiRequest, rfq_id: int) -> Response:
        return Response(
            RfqOutput(selectors.rfq_get_for_actor(user=request.user, rfq_id=rfq_id).rfq).data
        )


class RfqCloseApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=RfqOutput, summary="Close an RFQ early (its buyer)")
    def post(self, request: SignedInApiRequest, rfq_id: int) -> Response:
        services.rfq_close(actor=request.user, rfq_id=rfq_id)
        return Response(
            RfqOutput(selectors.rfq_get_for_actor(user=request.user, rfq_id=rfq_id).rfq).data
        )


class QuoteListSubmitApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="QuoteSubmitInput")
    class Input(serializers.Serializer):
        cooperative_id = serializers.IntegerField(required=False, allow_null=True)
        product_id = serializers.IntegerField()
        unit_price = serializers.DecimalField(max_digits=16, decimal_places=2)
        currency = serializers.CharField(max_length=3, help_text="USD or VND")
        incoterm = serializers.CharField(max_length=3)
        named_place = serializers.CharField(max_length=120)
        quantity = serializers.DecimalField(max_digits=14, decimal_places=3)
        moq = serializers.DecimalField(max_digits=14, decimal_places=3)
        lead_time_days = serializers.IntegerField()
        valid_until = serializers.DateField()
        deposit_percent = serializers.DecimalField(max_digits=8, decimal_places=2)
        balance_due = serializers.CharField(help_text=", ".join(BalanceDue.values))
        packaging = serializers.CharField(required=False, allow_blank=True, default="")
        note = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(
        responses=QuoteOutput(many=True),
        summary="Quotes on an RFQ (a cooperative sees only its own)",
    )
    def get(self, request: SignedInApiRequest, rfq_id: int) -> Response:
        access = selectors.rfq_get_for_actor(user=request.user, rfq_id=rfq_id)
        return Response(QuoteOutput(selectors.quote_list_for_actor(access=access), many=True).data)

    @extend_schema(
        request=Input, responses={201: QuoteOutput}, summary="Quote on an RFQ, or revise the quote"
    )
    def post(self, request: SignedInApiRequest, rfq_id: int) -> HttpResponseBase:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        quote = services.quote_submit(
            actor=request.user,
            rfq_id=rfq_id,
            data=values,
            cooperative_id=values.pop("cooperative_id", None),
        )
        quote, _a = selectors.quote_get_for_actor(user=request.user, quote_id=quote.pk)
        return created(QuoteOutput(quote).data)


class QuoteCompareApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("currency", str, enum=["USD", "VND"], required=False)],
        responses=OpenApiTypes.OBJECT,
        summary="Quotes side by side in one currency: price per base unit and total (buyer, admin)",
    )
    def get(self, request: SignedInApiRequest, rfq_id: int) -> Response:
        access = selectors.rfq_get_for_actor(user=request.user, rfq_id=rfq_id)
        if not access.is_buyer_side:
            raise NotFound()
        currency = request.query_params.get("currency") or "USD"
        if currency not in ("USD", "VND"):
            raise CurrencyUnsupported(fields={"currency": [currency]})
        quotes = list(selectors.quote_list_for_actor(access=access))
        return Response(quote_comparison(rfq=access.rfq, quotes=quotes, currency=currency))


class QuoteRevisionsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OpenApiTypes.OBJECT, summary="Every revision of a quote")
    def get(self, request: SignedInApiRequest, rfq_id: int, quote_id: int) -> Response:
        quote, _a = selectors.quote_get_for_actor(user=request.user, quote_id=quote_id)
        if quote.rfq_id != rfq_id:
            raise NotFound()
        return Response(
            [
                {"number": r.number, "terms": r.terms, "created_at": r.created_at}
                for r in quote.revisions.all()
            ]
        )


class QuoteAcceptApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="QuoteAcceptInput")
    class Input(serializers.Serializer):
        quantity = serializers.DecimalField(
            max_digits=14, decimal_places=3, required=False, allow_null=True
        )

    @extend_schema(
        request=Input,
        responses=QuoteOutput,
        summary="Accept a quote: creates the order (idempotent)",
    )
    def post(self, request: SignedInApiRequest, rfq_id: int, quote_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        if not Quote.objects.filter(pk=quote_id, rfq_id=rfq_id).exists():
            raise NotFound()
        services.quote_accept(
            actor=request.user, quote_id=quote_id, quantity=data.validated_data.get("quantity")
        )
        quote, _a = selectors.quote_get_for_actor(user=request.user, quote_id=quote_id)
        return Response(QuoteOutput(quote).data)


class QuoteWithdrawApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None, responses=QuoteOutput, summary="Withdraw a quote (its cooperative)"
    )
    def post(self, request: SignedInApiRequest, rfq_id: int, quote_id: int) -> Response:
        if not Quote.objects.filter(pk=quote_id, rfq_id=rfq_id).exists():
            raise NotFound()
        quote = services.quote_withdraw(actor=request.user, quote_id=quote_id)
        return Response(QuoteOutput(quote).data)


class MessageListPostApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema_serializer(component_name="RfqMessageInput")
    class Input(serializers.Serializer):
        body = serializers.CharField(required=False, allow_blank=True, default="")
        file = serializers.FileField(required=False, allow_null=True)

    @extend_schema(
        responses=MessageOutput(many=True), summary="The thread of an RFQ and one cooperative"
    )
    def get(self, request: SignedInApiRequest, rfq_id: int, cooperative_id: int) -> Response:
        access = selectors.rfq_get_for_actor(user=request.user, rfq_id=rfq_id)
        qs = selectors.message_list_for_actor(access=access, cooperative_id=cooperative_id)
        return Response(MessageOutput(qs, many=True).data)

    @extend_schema(
        request={"multipart/form-data": Input, "application/json": Input},
        responses={201: MessageOutput},
        summary="Write in the thread (optional attachment: PDF, JPEG or PNG up to 10 MB)",
    )
    def post(
        self, request: SignedInApiRequest, rfq_id: int, cooperative_id: int
    ) -> HttpResponseBase:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.message_post(
            actor=request.user,
            rfq_id=rfq_id,
            cooperative_id=cooperative_id,
            body=data.validated_data["body"],
            file=data.validated_data.get("file"),
        )
        return created(MessageOutput(message).data)


class MessageAttachmentApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        summary="A message attachment (the thread's parties only)",
    )
    def get(
        self, request: SignedInApiRequest, rfq_id: int, cooperative_id: int, message_id: int
    ) -> HttpResponseBase:
        access = selectors.rfq_get_for_actor(user=request.user, rfq_id=rfq_id)
        message = (
            selectors.message_list_for_actor(access=access, cooperative_id=cooperative_id)
            .filter(pk=message_id)
            .exclude(attachment="")
            .first()
        )
        if message is None or not message.attachment.name:
            raise NotFound()
        # Opened through the storage resolved now (the field's storage was bound at import).
        storage = storages["private"]
        response = FileResponse(
            storage.open(message.attachment.name, "rb"), content_type=message.attachment_type
        )
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=message.attachment_name or "file"
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


class DemandApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("cooperative", int, required=True)],
        responses=OpenApiTypes.OBJECT,
        summary="Demand signal: open RFQs in the cooperative's categories and a monthly summary",
    )
    def get(self, request: SignedInApiRequest) -> Response:
        raw = request.query_params.get("cooperative") or ""
        mine = selectors.staff_cooperative_ids(request.user)
        if not raw.isdecimal() or (int(raw) not in mine and not request.user.is_platform_admin):
            raise NotFound()
        coop_id = int(raw)
        open_rfqs = (
            selectors.rfq_list_for_cooperative_staff(user=request.user, cooperative_id=coop_id)
            if coop_id in mine
            else selectors.rfq_list_for_admin(user=request.user)
        )
        return Response(
            {
                "open_rfqs": RfqOutput(
                    open_rfqs.filter(status=Rfq.Status.OPEN)[:50], many=True
                ).data,
                "monthly": selectors.demand_summary_for_cooperative(cooperative_id=coop_id),
            }
        )


class ProformaPdfApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        summary="Proforma invoice (English) of the accepted quote of an RFQ",
    )
    def get(self, request: SignedInApiRequest, rfq_id: int) -> HttpResponseBase:
        from orders.export_documents import proforma_pdf

        access = selectors.rfq_get_for_actor(user=request.user, rfq_id=rfq_id)
        quote = (
            selectors.quote_list_for_actor(access=access)
            .filter(status=Quote.Status.ACCEPTED)
            .first()
        )
        if quote is None or quote.order is None:
            raise NotFound()
        response = HttpResponse(proforma_pdf(quote.order), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="proforma-{quote.order.code}.pdf"'
        return response
