"""Cooperative API: own cooperatives, documents, verification, the admin queue, the public
directory and its export, and administrative-unit reference data.

Each view parses input, makes one domain call and renders the result.
"""

from collections.abc import Callable

from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from market.accounts.apis import DETAIL, ERROR, name_nested_serializers
from market.api.permissions import IsPlatformAdmin, SignedInApiRequest
from market.api.responses import Pagination, created
from market.cooperatives import selectors, services
from market.errors import NotFound, ValidationFailed
from market.invitations import services as invitations
from market.models import Cooperative, CooperativeDocument, Membership, VerificationEvent
from market.reference.admin_units import resolve_province


class UnitOutput(serializers.Serializer):
    code = serializers.IntegerField()
    name = serializers.CharField()


class CooperativePublicOutput(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    kind = serializers.CharField()
    legal_name = serializers.CharField()
    trading_name = serializers.CharField()
    display_name = serializers.CharField()
    registration_number = serializers.CharField()
    tax_code = serializers.CharField()
    province = UnitOutput()
    ward = UnitOutput(allow_null=True)
    address = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    representative = serializers.CharField()
    description_vi = serializers.CharField()
    description_en = serializers.CharField()
    logo_url = serializers.SerializerMethodField()
    sector = serializers.CharField()
    is_agricultural = serializers.BooleanField()
    member_count = serializers.IntegerField(allow_null=True)
    year_founded = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()
    verified_at = serializers.DateTimeField(allow_null=True)

    def get_logo_url(self, coop: Cooperative) -> str | None:
        return coop.logo.url if coop.logo else None


class CooperativePrivateOutput(CooperativePublicOutput):
    status_reason = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    bank_bin = serializers.CharField()
    bank_account = serializers.CharField()
    bank_account_name = serializers.CharField()


class CooperativeInput(serializers.Serializer):
    """Profile fields. Province: a code or a name, old or new ("Bắc Giang" → Bắc Ninh)."""

    kind = serializers.ChoiceField(Cooperative.Kind.choices, required=False)
    legal_name = serializers.CharField(max_length=255, required=False)
    trading_name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    registration_number = serializers.CharField(max_length=50, required=False)
    tax_code = serializers.CharField(max_length=20, required=False)
    province = serializers.CharField(max_length=100, required=False)
    ward = serializers.IntegerField(required=False, allow_null=True)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    representative = serializers.CharField(max_length=150, required=False, allow_blank=True)
    description_vi = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    description_en = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    sector = serializers.ChoiceField(Cooperative.Sector.choices, required=False)
    is_agricultural = serializers.BooleanField(required=False)
    member_count = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=10_000_000
    )
    year_founded = serializers.IntegerField(required=False, allow_null=True)
    bank_bin = serializers.CharField(max_length=6, required=False, allow_blank=True)
    bank_account = serializers.CharField(max_length=25, required=False, allow_blank=True)
    bank_account_name = serializers.CharField(max_length=100, required=False, allow_blank=True)


def _private(coop):
    return CooperativePrivateOutput(coop).data


# --- public directory + create ---------------------------------------------------------------


class DirectoryFilter(serializers.Serializer):
    province = serializers.IntegerField(required=False, min_value=1, max_value=selectors.MAX_ID)
    kind = serializers.ChoiceField(Cooperative.Kind.choices, required=False)
    sector = serializers.ChoiceField(Cooperative.Sector.choices, required=False)
    is_agricultural = serializers.BooleanField(required=False, allow_null=True, default=None)
    q = serializers.CharField(required=False, max_length=100)


def _directory_filters(request) -> dict:
    data = DirectoryFilter(data=request.query_params)
    data.is_valid(raise_exception=True)
    return data.validated_data


class CooperativeListCreateApi(GenericAPIView):
    """GET: the public directory (verified cooperatives). POST: register a new cooperative."""

    permission_classes = [AllowAny]
    pagination_class = Pagination
    serializer_class = CooperativePublicOutput

    def get_permissions(self) -> list[BasePermission]:
        return [IsAuthenticated()] if self.request.method == "POST" else [AllowAny()]

    @extend_schema(
        parameters=[DirectoryFilter],
        responses={200: CooperativePublicOutput(many=True)},
        summary="Public directory of verified cooperatives",
    )
    def get(self, request: Request) -> HttpResponseBase:
        qs = selectors.cooperative_list_public(filters=_directory_filters(request))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(CooperativePublicOutput(page, many=True).data)

    @extend_schema(
        request=CooperativeInput,
        responses={201: CooperativePrivateOutput, 400: ERROR, 409: ERROR},
        summary="Register a cooperative (you become its owner; status DRAFT)",
    )
    def post(self, request: SignedInApiRequest) -> HttpResponseBase:  # get_permissions: signed in
        data = CooperativeInput(data=request.data)
        data.is_valid(raise_exception=True)
        coop = services.cooperative_create(actor=request.user, data=dict(data.validated_data))
        return created(_private(coop))


class CooperativeDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: CooperativePrivateOutput, 404: ERROR},
        summary="A cooperative by id or slug (verified; any status for its staff and admins)",
    )
    def get(self, request: Request, key: str) -> Response:
        coop = selectors.cooperative_get_for_viewer(user=request.user, key=key)
        if coop.is_verified and not _sees_private(request.user, coop):
            return Response(CooperativePublicOutput(coop).data)
        return Response(_private(coop))

    @extend_schema(
        request=CooperativeInput,
        responses={200: CooperativePrivateOutput, 400: ERROR, 404: ERROR},
        summary="Change a cooperative's profile (owner or manager)",
    )
    def patch(self, request: Request, key: str) -> Response:
        if not request.user.is_authenticated:
            self.permission_denied(request)
        cooperative_id = selectors.as_id(key)
        if cooperative_id is None:
            raise NotFound()
        data = CooperativeInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        coop = services.cooperative_update(
            actor=request.user, cooperative_id=cooperative_id, data=dict(data.validated_data)
        )
        return Response(_private(coop))


def _sees_private(user, coop) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_platform_admin or selectors.is_cooperative_staff(
        user=user, cooperative_id=coop.pk
    )


class MyCooperativeListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: CooperativePrivateOutput(many=True)}, summary="Cooperatives I work for"
    )
    def get(self, request: SignedInApiRequest) -> Response:
        return Response(
            CooperativePrivateOutput(
                selectors.cooperative_list_for_user(user=request.user), many=True
            ).data
        )


# --- members -----------------------------------------------------------------------------------


class MemberOutput(serializers.Serializer):
    user_id = serializers.IntegerField()
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")
    role = serializers.CharField()


class MemberListAddApi(APIView):
    permission_classes = [IsAuthenticated]

    class Input(serializers.Serializer):
        email = serializers.CharField(max_length=254)
        role = serializers.ChoiceField(Membership.Role.choices)

    @extend_schema(
        responses={200: MemberOutput(many=True), 404: ERROR}, summary="Members of a cooperative"
    )
    def get(self, request: SignedInApiRequest, pk: int) -> Response:
        coop = selectors.cooperative_get_for_staff(user=request.user, cooperative_id=pk)
        return Response(
            MemberOutput(coop.memberships.select_related("user").order_by("id"), many=True).data
        )

    @extend_schema(
        request=Input,
        responses={202: DETAIL, 400: ERROR, 403: ERROR, 404: ERROR, 409: ERROR},
        summary="Invite a member by e-mail (owner only); the same answer whether or not the address "
        "has an account",
    )
    def post(self, request: SignedInApiRequest, pk: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        invitations.membership_invite(actor=request.user, cooperative_id=pk, **data.validated_data)
        return Response(
            {"detail": _("If the address can receive mail, an invitation is on its way.")},
            status=202,
        )


class MemberRemoveApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={204: None, 403: ERROR, 404: ERROR}, summary="Remove a member (owner only)"
    )
    def delete(self, request: SignedInApiRequest, pk: int, user_id: int) -> Response:
        if selectors.as_id(user_id) is None:  # beyond any integer column: nobody has that id
            raise NotFound()
        services.membership_remove(actor=request.user, cooperative_id=pk, user_id=user_id)
        return Response(status=204)


# --- documents ---------------------------------------------------------------------------------


class DocumentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, doc: CooperativeDocument) -> str:
        return reverse("market:document-download", args=[doc.cooperative_id, doc.pk])


class DocumentListUploadApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    class Input(serializers.Serializer):
        kind = serializers.ChoiceField(CooperativeDocument.Kind.choices)
        title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        file = serializers.FileField(allow_empty_file=True)

    @extend_schema(
        responses={200: DocumentOutput(many=True), 404: ERROR}, summary="Documents of a cooperative"
    )
    def get(self, request: SignedInApiRequest, pk: int) -> Response:
        docs = selectors.document_list_for_user(user=request.user, cooperative_id=pk)
        return Response(DocumentOutput(docs, many=True).data)

    @extend_schema(
        request=Input,
        responses={201: DocumentOutput, 400: ERROR, 403: ERROR, 404: ERROR},
        summary="Upload a PDF/JPEG/PNG document (≤ 10 MB; private)",
    )
    def post(self, request: SignedInApiRequest, pk: int) -> HttpResponseBase:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        doc = services.cooperative_document_add(
            actor=request.user, cooperative_id=pk, **data.validated_data
        )
        return created(DocumentOutput(doc).data)


class CooperativeLogoApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    class Input(serializers.Serializer):
        file = serializers.FileField(allow_empty_file=True)

    @extend_schema(
        request=Input,
        responses={200: CooperativePrivateOutput, 400: ERROR, 403: ERROR, 404: ERROR},
        summary="Replace the logo (JPEG/PNG ≤ 2 MB; owner or manager)",
    )
    def put(self, request: SignedInApiRequest, pk: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        coop = services.cooperative_logo_set(
            actor=request.user, cooperative_id=pk, file=data.validated_data["file"]
        )
        return Response(_private(coop))


# --- verification --------------------------------------------------------------------------


class EventOutput(serializers.Serializer):
    kind = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    reason = serializers.CharField()
    actor = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_actor(self, event: VerificationEvent) -> str | None:
        # The cooperative sees that "the platform" decided, not which admin's address.
        if event.actor is None:
            return None
        return "platform" if event.actor.is_staff else event.actor.email


class VerificationHistoryApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: EventOutput(many=True), 404: ERROR}, summary="Verification history"
    )
    def get(self, request: SignedInApiRequest, pk: int) -> Response:
        events = selectors.verification_event_list_for_user(user=request.user, cooperative_id=pk)
        return Response(EventOutput(events, many=True).data)


class CooperativeSubmitApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={200: CooperativePrivateOutput, 403: ERROR, 404: ERROR, 409: ERROR, 422: ERROR},
        summary="Submit for verification (owner or manager)",
    )
    def post(self, request: SignedInApiRequest, pk: int) -> Response:
        return Response(
            _private(services.cooperative_submit(actor=request.user, cooperative_id=pk))
        )


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


_MOVE_RESPONSES = {200: CooperativePrivateOutput, 400: ERROR, 403: ERROR, 404: ERROR, 409: ERROR}


# A verification move by a platform admin: parse the reason when the move takes one, call the
# move's service, answer with the cooperative's private view.
class _CooperativeMoveApi(APIView):
    permission_classes = [IsPlatformAdmin]
    service: Callable[..., Cooperative]
    with_reason = True

    def post(self, request: SignedInApiRequest, pk: int) -> Response:
        kwargs = {"actor": request.user, "cooperative_id": pk}
        if self.with_reason:
            data = ReasonInput(data=request.data)
            data.is_valid(raise_exception=True)
            kwargs["reason"] = data.validated_data["reason"]
        return Response(_private(self.service(**kwargs)))


def _move_schema(summary: str, *, with_reason: bool = True):
    return extend_schema_view(
        post=extend_schema(
            request=ReasonInput if with_reason else None,
            responses=_MOVE_RESPONSES,
            summary=summary,
        )
    )


@_move_schema("Verify a submitted cooperative (admin)", with_reason=False)
class CooperativeVerifyApi(_CooperativeMoveApi):
    service = staticmethod(services.cooperative_verify)
    with_reason = False


@_move_schema("Reject with a reason (admin)")
class CooperativeRejectApi(_CooperativeMoveApi):
    service = staticmethod(services.cooperative_reject)


@_move_schema("Suspend with a reason (admin)")
class CooperativeSuspendApi(_CooperativeMoveApi):
    service = staticmethod(services.cooperative_suspend)


@_move_schema("Reinstate a suspended cooperative (admin)")
class CooperativeReinstateApi(_CooperativeMoveApi):
    service = staticmethod(services.cooperative_reinstate)


class QueueItemOutput(CooperativePrivateOutput):
    documents = DocumentOutput(many=True)


class VerificationQueueApi(GenericAPIView):
    permission_classes = [IsPlatformAdmin]
    pagination_class = Pagination
    serializer_class = QueueItemOutput

    @extend_schema(
        responses={200: QueueItemOutput(many=True), 403: ERROR},
        summary="Verification queue: submitted cooperatives, oldest first (admin)",
    )
    def get(self, request: SignedInApiRequest) -> HttpResponseBase:
        page = self.paginate_queryset(selectors.verification_queue_for_admin())
        return self.get_paginated_response(QueueItemOutput(page, many=True).data)


# --- reference data ----------------------------------------------------------------------------


class ProvinceOutput(serializers.Serializer):
    code = serializers.IntegerField()
    name = serializers.CharField()
    short_name = serializers.CharField()
    division_type = serializers.CharField()


class ProvinceListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: ProvinceOutput(many=True)}, summary="The 34 provinces (2025 structure)"
    )
    def get(self, request: Request) -> Response:
        return Response(ProvinceOutput(selectors.province_list(), many=True).data)


class WardOutput(serializers.Serializer):
    code = serializers.IntegerField()
    name = serializers.CharField()
    division_type = serializers.CharField()


class WardListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: WardOutput(many=True), 404: ERROR}, summary="Wards of a province"
    )
    def get(self, request: Request, code: int) -> Response:
        return Response(
            WardOutput(selectors.ward_list_for_province(province_code=code), many=True).data
        )


class ProvinceResolveApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q", OpenApiTypes.STR, required=True, description="A province name, old or new"
            )
        ],
        responses={200: ProvinceOutput, 400: ERROR, 404: ERROR},
        summary="Resolve a typed province name, old (pre-2025) or new",
    )
    def get(self, request: Request) -> Response:
        q = request.query_params.get("q", "").strip()
        if not q:
            message = _("Type a province name.")
            raise ValidationFailed(message, fields={"q": [message]}, code="missing_query")
        province = resolve_province(q)
        if province is None:
            raise NotFound()
        return Response(ProvinceOutput(province).data)


name_nested_serializers(globals())
