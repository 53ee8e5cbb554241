"""File responses: the private certificate scan, for its cooperative's staff and platform admins."""

from django.core.files.storage import storages
from django.http import FileResponse
from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from catalog import selectors
from catalog.services.certifications import certification_document_type
from market.errors import NotFound


class CertificationDocumentDownloadApi(APIView):
    """Everyone but the owning cooperative's staff and platform admins gets 404 (signed in or
    not): the answer never reveals that a certification or its document exists."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: OpenApiResponse()},
        summary="Download a certificate scan (the cooperative's staff and admins only)",
    )
    def get(self, request: Request, cert_id: int) -> HttpResponseBase:
        cert = selectors.certification_get_for_staff(user=request.user, certification_id=cert_id)
        storage = storages["private"]
        name = cert.document.name if cert.document else None
        if not name or not storage.exists(name):
            raise NotFound()
        content_type = certification_document_type(cert)
        response = FileResponse(
            storage.open(name, "rb"),
            content_type=content_type,
            as_attachment=request.query_params.get("inline") != "1",
            filename=f"certification-{cert.pk}{name[name.rfind('.') :]}",
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response
