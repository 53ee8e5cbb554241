"""Shared API infrastructure: the one exception handler, pagination, helpers."""

import logging
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from market.errors import DomainError

log = logging.getLogger("htx.api")


def _error(code: str, message, http_status: int, fields=None, headers=None):
    return Response(
        {"code": code, "message": str(message), "fields": fields or {}},
        status=http_status,
        headers=headers,
    )


def _flatten(detail):
    if isinstance(detail, dict):
        return {k: _flatten(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [str(x) if not isinstance(x, (dict, list)) else _flatten(x) for x in detail]
    return [str(detail)]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map every error to `{"code", "message", "fields"}` with a fitting HTTP status."""
    if isinstance(exc, DomainError):
        return _error(exc.code, exc.message, exc.status, exc.fields)
    if isinstance(exc, DjangoValidationError):
        fields = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return _error("validation_failed", _("Some fields are invalid."), 400, fields)
    if isinstance(exc, Http404):
        return _error("not_found", _("Not found."), 404)
    if isinstance(exc, DjangoPermissionDenied):
        return _error("permission_denied", _("You do not have permission to do this."), 403)
    if isinstance(exc, exceptions.ValidationError):
        return _error("validation_failed", _("Some fields are invalid."), 400, _flatten(exc.detail))
    if isinstance(exc, (OverflowError, DataError)):
        # Last line of defence: a value the database cannot hold (SQLite raises OverflowError for
        # integers beyond int64, PostgreSQL DataError for "out of range"). The transaction that
        # met it has rolled back. Input fields and URL converters bound their numbers; one that
        # slips through is still bad input, not a server error.
        log.warning("number out of range reached the database: %s", exc)
        return _error("out_of_range", _("A number in the request is too large."), 400)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django log it and answer 500
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.Throttled):
        code = "throttled"
    detail = getattr(exc, "detail", None)  # DRF handled it, so an APIException with a detail
    message = detail if isinstance(detail, str) else _("The request is invalid.")
    headers = dict(response.items())
    return _error(code, message, response.status_code, None, headers)


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


def paginated(
    request: Request,
    view: APIView,
    items: "QuerySet[Any] | Sequence[Any]",
    output: "type[BaseSerializer[Any]]",
) -> Response:
    """One page of `items` (query parameters `page` and `page_size`) rendered by `output`, with
    the count and the links to the next and previous pages."""
    paginator = Pagination()
    page = paginator.paginate_queryset(items, request, view=view)
    return paginator.get_paginated_response(output(page, many=True).data)


def created(data: Any) -> Response:
    return Response(data, status=status.HTTP_201_CREATED)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _json_error(code: str, message, http_status: int) -> JsonResponse:
    return JsonResponse(
        {"code": code, "message": str(message), "fields": {}},
        status=http_status,
        json_dumps_params={"ensure_ascii": False},
    )


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Under /api/ a 404 is our `{code, message, fields}` error; pages keep the HTML one."""
    if _is_api(request):
        return _json_error("not_found", _("Not found."), 404)
    return defaults.page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    """Under /api/ a 500 is JSON too (the error itself is logged by Django)."""
    if _is_api(request):
        return _json_error("server_error", _("Something went wrong on our side. Try again."), 500)
    return defaults.server_error(request)
