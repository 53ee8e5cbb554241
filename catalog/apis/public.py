"""Public reads (categories, purchasable product detail) and the spreadsheet import."""

from django.http import HttpResponse
from django.http.response import HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors, services
from catalog.apis.outputs import ImportJobOutput, PublicProductOutput
from catalog.importing.columns import template_csv, template_xlsx
from catalog.models import Category, ImportJob
from catalog.permissions import IsCooperativeStaff
from market.accounts.apis import ERROR, name_nested_serializers
from market.api.permissions import SignedInApiRequest
from market.api.responses import created

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_IMPORT_BYTES = 20 * 1024 * 1024


class CategoryNodeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name_vi = serializers.CharField()
    name_en = serializers.CharField()
    parent_id = serializers.IntegerField(allow_null=True)
    children = serializers.ListField(
        child=serializers.DictField(), help_text="nodes of the same shape"
    )


class CategoryTreeApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: CategoryNodeOutput(many=True)},
        summary="The category tree (Vietnamese and English names)",
    )
    def get(self, request: Request) -> Response:
        return Response(selectors.category_tree())


class ProductPublicDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: PublicProductOutput, 404: ERROR},
        summary="A purchasable product (ACTIVE, verified cooperative)",
    )
    def get(self, request: Request, product_id: int) -> Response:
        return Response(
            PublicProductOutput(selectors.product_get_for_public(product_id=product_id)).data
        )


class ImportTemplateApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=["csv", "xlsx"])],
        responses={(200, "text/csv"): bytes, (200, XLSX): bytes, 404: ERROR},
        summary="Import template with Vietnamese headers (.csv or .xlsx)",
    )
    def get(self, request: Request, fmt: str) -> HttpResponseBase:
        if fmt == "xlsx":  # drop-downs list the categories and provinces of this market
            from market.cooperatives.selectors import province_list_for_picker

            categories = Category.objects.order_by("name_vi").values_list("name_vi", flat=True)
            provinces = [p.name for p in province_list_for_picker()]
            body, ctype = template_xlsx(categories=categories, provinces=provinces), XLSX
        else:
            body, ctype = template_csv(), "text/csv; charset=utf-8"
        response = HttpResponse(body, content_type=ctype)
        response["Content-Disposition"] = f'attachment; filename="mau-nhap-san-pham.{fmt}"'
        return response


class ImportStartApi(APIView):
    permission_classes = [IsCooperativeStaff]
    parser_classes = [MultiPartParser, FormParser]

    class Input(serializers.Serializer):
        file = serializers.FileField(allow_empty_file=True)
        apply = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        request=Input,
        responses={201: ImportJobOutput, 400: ERROR, 404: ERROR},
        summary="Store a CSV/XLSX file as an import job and check it row by row in the background "
        "(dry run); with apply=true import it all-or-nothing. Poll the job for progress.",
    )
    def post(self, request: SignedInApiRequest, coop_id: int) -> HttpResponseBase:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            from catalog.errors import ImportFileInvalid

            raise ImportFileInvalid(fields={"file": ["at most 20 MB"]})
        job = services.import_job_start(
            actor=request.user,
            cooperative_id=coop_id,
            file_name=upload.name,
            data=upload.read(),
            apply=data.validated_data["apply"],
        )
        return created(ImportJobOutput(job).data)


class ImportJobDetailApi(APIView):
    permission_classes = [IsCooperativeStaff]

    @extend_schema(
        responses={200: ImportJobOutput, 404: ERROR}, summary="Progress and report of an import"
    )
    def get(self, request: SignedInApiRequest, coop_id: int, job_id: int) -> Response:
        job = selectors.import_job_get_for_staff(
            user=request.user, cooperative_id=coop_id, job_id=job_id
        )
        if services.import_job_resume_if_stale(job=job):  # its worker died: start another one
            job.refresh_from_db()
        return Response(ImportJobOutput(job).data)


class ImportJobApplyApi(APIView):
    permission_classes = [IsCooperativeStaff]

    @extend_schema(
        request=None,
        responses={
            202: ImportJobOutput,
            200: ImportJobOutput,
            404: ERROR,
            409: ERROR,
            422: ImportJobOutput,
        },
        summary="Apply a checked import (all-or-nothing) in the background: 202 while it runs",
    )
    def post(self, request: SignedInApiRequest, coop_id: int, job_id: int) -> Response:
        job = services.import_job_apply(actor=request.user, cooperative_id=coop_id, job_id=job_id)
        status = 202 if job.is_active else 200 if job.status == ImportJob.Status.DONE else 422
        return Response(ImportJobOutput(job).data, status=status)


name_nested_serializers(globals())
