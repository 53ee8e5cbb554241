"""Request ids, structured logs, health and metrics endpoints.

- `RequestMiddleware` (first in MIDDLEWARE): takes the request id from `X-Request-ID` (when it is
  a sane token) or makes one, returns it in the response header, keeps it in
  `market.background.request_id_var` for the logs and for tasks queued by this request, and
  ends each request with one `htx.request` log line (method, path, route name, status, duration,
  user id) and a latency observation for /metrics, both once the response has been sent.
- JSON log lines: market/logs.py.
- `healthz` (the process answers), `readyz` (database, search backend, broker), `metrics`
  (Prometheus text, behind a bearer token or an address allow-list).
"""

import ipaddress
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from market import metrics
from market.logs import request_id_var

log = logging.getLogger("htx.request")
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
QUIET_PATHS = ("/healthz", "/readyz", "/metrics")


# ---------------------------------------------------------------- request ids and access log
class RequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def begin(request) -> tuple[str, Any]:
        """The request's id (the client's X-Request-ID when well formed, else a new one), set on
        the request and in the logging context: (id, the context token to reset at the end).
        Also for search.fastpath, which stands in for this middleware."""
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        request.request_id = rid
        return rid, request_id_var.set(rid)

    def __call__(self, request):
        rid, token = self.begin(request)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = rid
            # Written once the server has sent the response (it calls close() then, as
            # gunicorn writes its own access log after the response): the client does not
            # wait for the log line and the metric (~0.1 ms a request, measured over HTTP).
            # The duration is still the time to the response, with the request's id.
            seconds = time.perf_counter() - started
            response._resource_closers.append(
                lambda: self._record_for(rid, request, response.status_code, seconds)
            )
            return response
        except Exception:
            self._record(request, 500, time.perf_counter() - started)
            raise
        finally:
            request_id_var.reset(token)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """The database is unreachable (restarting, failing over): answer 503 at once, with a
        Retry-After, instead of a 500 page; the next request opens a fresh connection."""
        from django.db import InterfaceError, OperationalError, connections

        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        log.warning("database unavailable: %s", str(exception).splitlines()[0][:200])
        for conn in connections.all(initialized_only=True):
            conn.close_if_unusable_or_obsolete()
        body = {"code": "service_unavailable", "message": "Service temporarily unavailable."}
        response = JsonResponse(body, status=503)
        response["Retry-After"] = "5"
        return response

    @classmethod
    def _record_for(cls, rid: str, request, status: int, seconds: float) -> None:
        token = request_id_var.set(rid)  # close() runs after __call__ reset it
        try:
            cls._record(request, status, seconds)
        finally:
            request_id_var.reset(token)

    @staticmethod
    def _record(request, status: int, seconds: float) -> None:
        match = getattr(request, "resolver_match", None)
        route = (match.view_name or match.route) if match else "unmatched"
        metrics.REQUESTS.labels(route, request.method, f"{status // 100}xx").observe(seconds)
        if request.path in QUIET_PATHS and status < 500:
            return
        user = getattr(request, "user", None)
        log.info(
            "%s %s %s %.1fms",
            request.method,
            request.path,
            status,
            seconds * 1000,
            extra={
                "method": request.method,
                "path": request.path,
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 1),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            },
        )


# ---------------------------------------------------------------- health
def healthz(request: HttpRequest) -> HttpResponse:
    """The process answers. No dependency is checked (that is /readyz)."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


# Probes other apps register (market imports none of them): search/apps.py adds "search".
READY_PROBES: dict = {}


def register_ready_probe(name: str, probe: Callable[[], object]) -> None:
    """`probe()` returns nothing when the part works and raises (with the reason) when not."""
    READY_PROBES[name] = probe


def _check_search() -> str:
    probe = READY_PROBES.get("search")
    if probe is None:
        return "not configured"
    probe()
    return "ok"


def _check_broker() -> str:
    from market.celery import app

    if not settings.CELERY_BROKER_URL:
        return "not configured"
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        conn.default_channel.client.ping()
    return "ok"


@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    """200 when every part answers, 503 naming what failed and why."""
    body, ok = {}, True
    for part, check in (
        ("database", _check_database),
        ("search", _check_search),
        ("broker", _check_broker),
    ):
        try:
            body[part] = check()
        except Exception as exc:  # the reason, one line, no traceback
            ok = False
            body[part] = (
                f"error: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
            )
    return JsonResponse(body, status=200 if ok else 503)


# ---------------------------------------------------------------- metrics
def _metrics_allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    auth = request.headers.get("Authorization", "")
    if token and auth == f"Bearer {token}":
        return True
    try:
        addr = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(addr in net for net in settings.METRICS_ALLOWED_NETS)


@csrf_exempt
@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text format: this host's processes (multiprocess mode when
    PROMETHEUS_MULTIPROC_DIR is set) plus gauges read from the database at scrape time."""
    if not _metrics_allowed(request):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    from prometheus_client import CONTENT_TYPE_LATEST

    return HttpResponse(metrics.render(), content_type=CONTENT_TYPE_LATEST)
