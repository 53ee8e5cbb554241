"""File responses: private document download and the open-data export of the directory."""

import io
import json
from collections.abc import Iterator
from typing import Any

from django.core.files.storage import storages
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from market.cooperatives import selectors
from market.errors import NotFound
from market.shared.csvsafe import SafeDictWriter

EXPORT_FIELDS = (
    "id",
    "slug",
    "registration_number",
    "tax_code",
    "kind",
    "legal_name",
    "trading_name",
    "province_code",
    "province_name",
    "ward_code",
    "ward_name",
    "address",
    "sector",
    "is_agricultural",
    "member_count",
    "year_founded",
    "verified_at",
    "updated_at",
)


class DocumentDownloadView(APIView):
    """Stream a private document to the cooperative's staff or a platform admin. Everyone else,
    signed in or not, gets 404: the answer never reveals that a document exists."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: OpenApiResponse()},
        summary="Download a private cooperative document (its staff and admins only)",
    )
    def get(self, request: Request, pk: int, document_id: int) -> HttpResponseBase:
        doc = selectors.document_get_for_user(
            user=request.user, cooperative_id=pk, document_id=document_id
        )
        storage = storages["private"]
        if not doc.file.name or not storage.exists(doc.file.name):
            raise NotFound()
        response = FileResponse(
            storage.open(doc.file.name, "rb"),
            content_type=doc.content_type,
            as_attachment=request.query_params.get("inline") != "1",
            filename=doc.original_name,
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


def export_rows() -> Iterator[dict[str, Any]]:
    """One dict per verified cooperative, in a stable order (by id), with administrative-unit codes."""
    for coop in selectors.cooperative_list_public().order_by("id"):
        yield {
            "id": coop.pk,
            "slug": coop.slug,
            "registration_number": coop.registration_number,
            "tax_code": coop.tax_code,
            "kind": coop.kind,
            "legal_name": coop.legal_name,
            "trading_name": coop.trading_name,
            "province_code": coop.province_id,
            "province_name": coop.province.name,
            "ward_code": coop.ward_id,
            "ward_name": coop.ward.name if coop.ward else None,
            "address": coop.address,
            "sector": coop.sector,
            "is_agricultural": coop.is_agricultural,
            "member_count": coop.member_count,
            "year_founded": coop.year_founded,
            "verified_at": coop.verified_at.isoformat() if coop.verified_at else None,
            "updated_at": coop.updated_at.isoformat(),
        }


# A cell starting with one of these is a formula to Excel/LibreOffice (=HYPERLINK(...) can leak
# data or run commands); OWASP "CSV Injection": prefix such text with a single quote.
def export_csv() -> str:
    """UTF-8 CSV text with a BOM: Excel reads Vietnamese correctly only with it. Text cells that
    would start a formula are prefixed with ' (see `csv_cell`); the JSON export keeps raw values."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = SafeDictWriter(buffer, fieldnames=EXPORT_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for row in export_rows():
        writer.writerow(row)
    return buffer.getvalue()


def export_json() -> dict:
    rows = list(export_rows())
    return {
        "generated_at": timezone.now().isoformat(),
        "count": len(rows),
        "fields": list(EXPORT_FIELDS),
        "cooperatives": rows,
    }


def _attachment(response, ext: str):
    response["Content-Disposition"] = (
        f'attachment; filename="htx-cooperatives-{timezone.localdate()}.{ext}"'
    )
    return response


class CooperativeExportCsvView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={(200, "text/csv"): OpenApiTypes.STR},
        summary="All verified cooperatives as CSV (UTF-8 with BOM, for Excel)",
    )
    def get(self, request: Request) -> HttpResponseBase:
        return _attachment(
            HttpResponse(export_csv().encode("utf-8"), content_type="text/csv; charset=utf-8"),
            "csv",
        )


class CooperativeExportJsonView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={(200, "application/json"): OpenApiTypes.OBJECT},
        summary="All verified cooperatives as JSON ({generated_at, count, cooperatives})",
    )
    def get(self, request: Request) -> HttpResponseBase:
        return _attachment(
            HttpResponse(
                json.dumps(export_json(), ensure_ascii=False), content_type="application/json"
            ),
            "json",
        )
