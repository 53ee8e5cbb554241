"""Images and certifications."""

from django.http.response import HttpResponseBase
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors, services
from catalog.apis.outputs import CertificationStaffOutput, ImageOutput
from catalog.models import Certification
from catalog.permissions import IsCooperativeStaff
from market.accounts.apis import ERROR, name_nested_serializers
from market.api.parsers import JSONParser
from market.api.permissions import IsPlatformAdmin, SignedInApiRequest
from market.api.responses import created


class ProductImageAddApi(APIView):
    permission_classes = [IsCooperativeStaff]
    parser_classes = [MultiPartParser, FormParser]

    class Input(serializers.Serializer):
        image = serializers.FileField(allow_empty_file=True)
        alt_vi = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
        alt_en = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")

    @extend_schema(
        request=Input,
        responses={201: ImageOutput, 400: ERROR, 404: ERROR},
        summary="Upload an image (JPEG/PNG/WebP, recognised by decoding; metadata stripped)",
    )
    def post(self, request: SignedInApiRequest, coop_id: int, product_id: int) -> HttpResponseBase:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        image = services.product_image_add(
            actor=request.user,
            cooperative_id=coop_id,
            product_id=product_id,
            data=data.validated_data["image"].read(),
            alt_vi=data.validated_data["alt_vi"],
            alt_en=data.validated_data["alt_en"],
        )
        return created(ImageOutput(image).data)


class ProductImageReorderApi(APIView):
    permission_classes = [IsCooperativeStaff]

    class Input(serializers.Serializer):
        image_ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)

    @extend_schema(
        request=Input,
        responses={200: ImageOutput(many=True), 400: ERROR, 404: ERROR},
        summary="Reorder images (the first is the cover)",
    )
    def post(self, request: SignedInApiRequest, coop_id: int, product_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        ordered = services.product_image_reorder(
            actor=request.user,
            cooperative_id=coop_id,
            product_id=product_id,
            image_ids=data.validated_data["image_ids"],
        )
        return Response(ImageOutput(ordered, many=True).data)


class ProductImageDeleteApi(APIView):
    permission_classes = [IsCooperativeStaff]

    @extend_schema(responses={204: None, 404: ERROR, 422: ERROR}, summary="Delete an image")
    def delete(
        self, request: SignedInApiRequest, coop_id: int, product_id: int, image_id: int
    ) -> Response:
        services.product_image_delete(
            actor=request.user, cooperative_id=coop_id, product_id=product_id, image_id=image_id
        )
        return Response(status=204)


class CertificationListClaimApi(APIView):
    permission_classes = [IsCooperativeStaff]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    class Input(serializers.Serializer):
        kind = serializers.ChoiceField(Certification.Kind.choices)
        ocop_stars = serializers.IntegerField(required=False, allow_null=True, default=None)
        issuer = serializers.CharField(max_length=200)
        number = serializers.CharField(max_length=100)
        valid_from = serializers.DateField()
        valid_until = serializers.DateField(required=False, allow_null=True, default=None)
        document = serializers.FileField(allow_empty_file=True)
        product_ids = serializers.ListField(
            child=serializers.IntegerField(), required=False, default=list
        )

    @extend_schema(
        responses={200: CertificationStaffOutput(many=True), 404: ERROR},
        summary="My certifications",
    )
    def get(self, request: SignedInApiRequest, coop_id: int) -> Response:
        certs = selectors.certification_list_for_staff(user=request.user, cooperative_id=coop_id)
        return Response(CertificationStaffOutput(certs, many=True).data)

    @extend_schema(
        request=Input,
        responses={201: CertificationStaffOutput, 400: ERROR, 404: ERROR},
        summary="Claim a certification (shown after an admin checks the document)",
    )
    def post(self, request: SignedInApiRequest, coop_id: int) -> HttpResponseBase:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields["document"] = fields["document"].read()
        cert = services.certification_claim(actor=request.user, cooperative_id=coop_id, **fields)
        return created(CertificationStaffOutput(cert).data)


class CertificationCheckApi(APIView):
    permission_classes = [IsPlatformAdmin]

    class Input(serializers.Serializer):
        decision = serializers.ChoiceField(["verify", "reject"])
        reason = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(
        request=Input,
        responses={200: CertificationStaffOutput, 403: ERROR, 404: ERROR, 409: ERROR},
        summary="Admin: verify or reject a claimed certification",
    )
    def post(self, request: SignedInApiRequest, cert_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        cert = services.certification_check(
            actor=request.user,
            certification_id=cert_id,
            verified=data.validated_data["decision"] == "verify",
            reason=data.validated_data["reason"],
        )
        return Response(CertificationStaffOutput(cert).data)


name_nested_serializers(globals())
