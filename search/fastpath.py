"""A shorter request path for the commonest search request: a guest's plain GET of
`/api/v1/search/products` (no credentials, no session, JSON wanted, known parameters).

Measured inside the bench's gunicorn worker (docs/search.md, "ninth pass"), such a request spent
~1.7 ms in Django and DRF around the search: the middleware chain, URL resolution, DRF's request
wrapper, authenticators, permissions, content negotiation and response rendering, each a little.
`SearchFastPathHandler` is Django's own WSGI handler that answers such a request itself, with
the same parts the full stack would run for it and nothing else:

- the same middleware hooks in the same order (`RequestMiddleware`'s request id, access log
  line and metric; security, session, locale, common, authentication, clickjacking and CSP
  hooks), called directly instead of through the chain; the ones that do nothing for such a
  request (WhiteNoise off its prefix, CSRF and messages without their cookies, htmx) are left
  out;
- the view's own parameter validation and answer (`ProductSearchApi.InputSerializer`,
  `product_search_answer`), DRF's default headers of that view (`Allow`, `Vary: Accept`) and
  its JSON renderer.

Anything else goes through the full stack unchanged: other methods, paths, an Authorization
header, any cookie but the language cookie, an `Accept` other than none, `*/*` or
`application/json`, a parameter the API does not declare (DRF's `format`, say), invalid
parameters (the full stack answers the 400 with its message), a refused host or an HTTPS
redirect. A search that raises is answered by the full stack too, with the same exception
(handed over in the environ, so the search does not run twice): DRF's exception handler,
`RequestMiddleware`'s 503 for a lost database, the log lines, as before.

It only switches itself on for the middleware list it was written for and when the path still
resolves to `ProductSearchApi` (`enabled()`); `SEARCH_API_FAST_PATH=0` turns it off.
`tests/integration/test_search_fast_path.py` sends requests of every kind through both paths and
compares status, every header and the body byte for byte, so the two cannot drift apart.
"""

import re
import time
from functools import cached_property
from typing import Any

from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest, get_script_name
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.http.cookie import parse_cookie
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.locale import LocaleMiddleware
from django.middleware.security import SecurityMiddleware
from django.urls import Resolver404, resolve, set_script_prefix, set_urlconf
from django.utils.cache import patch_vary_headers
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny

from market.logs import request_id_var
from market.observability import RequestMiddleware

PATH = "/api/v1/search/products"
# The environ key that hands a failed search's exception to the full stack (ProductSearchApi).
SEARCH_ERROR = "htx.search_fast_path.error"
# What the full stack's middleware is, for the fast path to stand in for it. Another list turns
# the fast path off (and test_the_fast_path_is_on_for_the_projects_settings fails): check what
# the new middleware does for a guest's search GET, add it to _answer, then here.
MIDDLEWARE = (
    "market.observability.RequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # production only: nothing off STATIC_URL
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",  # nothing for a GET without its cookie
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",  # nothing when unused, no cookie
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",  # request.htmx only
    "csp.middleware.CSPMiddleware",
)
# What of DRF's dispatch of ProductSearchApi the fast path stands in for: no throttle, no
# permission but AllowAny, these authenticators (their credentials, an Authorization header or a
# session cookie, send a request to the full stack), no versioning. A view given anything else
# (a throttle, a permission, another way to authenticate) turns the fast path off (`enabled`),
# which would otherwise skip it without a word.
AUTHENTICATION = frozenset((TokenAuthentication, SessionAuthentication))
# DRF picks its JSON renderer (ours, first) for these; anything else may pick another renderer.
PLAIN_ACCEPTS = frozenset(("", "*/*", "application/json"))


def _no_view(request: HttpRequest) -> HttpResponseBase:  # hooks are called one by one, unchained
    raise AssertionError("the fast path calls middleware hooks, not the chain")


class SearchFastPathHandler(WSGIHandler):
    """Django's WSGI handler, answering a guest's plain search GET itself (module docstring)."""

    answered = 0  # requests answered by the fast path in this process (tests read it)

    def __call__(self, environ: dict, start_response: Any) -> Any:
        if self.on and self._plain_guest_get(environ):
            response = self._answer(environ)
            if response is not None:
                status = f"{response.status_code} {response.reason_phrase}"
                start_response(
                    status,
                    [
                        *response.items(),
                        *(("Set-Cookie", c.output(header="")) for c in response.cookies.values()),
                    ],
                )
                return response
        return super().__call__(environ, start_response)

    @cached_property
    def on(self) -> bool:
        return enabled()

    @staticmethod
    def _plain_guest_get(environ: dict) -> bool:
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("PATH_INFO") != PATH:
            return False
        if "HTTP_AUTHORIZATION" in environ or environ.get("HTTP_ACCEPT", "") not in PLAIN_ACCEPTS:
            return False
        cookie = environ.get("HTTP_COOKIE")
        return not cookie or set(parse_cookie(cookie)) <= {settings.LANGUAGE_COOKIE_NAME}

    @cached_property
    def _parts(self) -> dict[str, Any]:
        from csp.middleware import CSPMiddleware

        from search.apis import ProductSearchApi

        view = ProductSearchApi()
        view.setup(HttpRequest())  # as as_view() does for each request: HEAD answered as GET
        view.headers = dict(view.default_response_headers)  # DRF: Allow, and Vary: Accept
        vary = view.headers.pop("Vary", None)
        return {
            "match": resolve(PATH),  # the route name of the access log line and the metric
            "fields": frozenset(ProductSearchApi.InputSerializer._declared_fields),
            "input": ProductSearchApi.InputSerializer,
            "renderer": ProductSearchApi.renderer_classes[0](),
            "vary": re.split(r"\s*,\s*", vary) if vary else (),  # as DRF's finalize_response
            "headers": view.headers,
            "security": SecurityMiddleware(_no_view),
            "session": SessionMiddleware(_no_view),
            "locale": LocaleMiddleware(_no_view),
            "common": CommonMiddleware(_no_view),
            "auth": AuthenticationMiddleware(_no_view),
            "xframe": XFrameOptionsMiddleware(_no_view),
            "csp": _csp_headers(CSPMiddleware(_no_view)),
        }

    def _answer(self, environ: dict) -> HttpResponse | None:
        """The response, or None for the full stack to answer the request (from the start; a
        failed search's exception handed over in the environ)."""
        parts = self._parts
        request: Any = WSGIRequest(environ)  # request_id, resolver_match: set as Django does
        values = self._valid_parameters(request, parts)
        if values is None:
            return None
        set_script_prefix(get_script_name(environ))
        signals.request_started.send(sender=self.__class__, environ=environ)
        set_urlconf(settings.ROOT_URLCONF)
        rid, token = RequestMiddleware.begin(request)  # as RequestMiddleware.__call__
        started = time.perf_counter()
        try:
            return self._respond(request, values, parts, rid, started)
        except Exception:  # not the search's (that one is handed over): the full stack again
            return None
        finally:
            request_id_var.reset(token)

    @staticmethod
    def _valid_parameters(request: WSGIRequest, parts: dict) -> dict | None:
        """The validated parameters, or None when the full stack must answer: a parameter the
        API does not declare, an invalid one (the full stack's 400), an HTTPS redirect, a
        host that is not allowed, a redirect of CommonMiddleware."""
        try:
            if not set(request.GET) <= parts["fields"]:
                return None
            if parts["security"].process_request(request) is not None:
                return None
            if parts["common"].process_request(request) is not None:  # may raise (host, agent)
                return None
            params = parts["input"](data=request.GET)
            return params.validated_data if params.is_valid() else None
        except Exception:  # nothing done yet: the full stack answers it, as it always did
            return None

    def _respond(
        self, request: WSGIRequest, values: dict, parts: dict, rid: str, started: float
    ) -> HttpResponse | None:
        from search.apis import product_search_answer

        parts["session"].process_request(request)
        parts["locale"].process_request(request)
        parts["auth"].process_request(request)
        request.resolver_match = parts["match"]
        request.user.is_authenticated  # noqa: B018  DRF's SessionAuthentication reads the session
        try:
            data = product_search_answer(values)
        except Exception as exc:  # the full stack answers it, with this exception (docstring)
            request.environ[SEARCH_ERROR] = exc
            return None
        # DRF: Response(data), X-Search-Degraded, finalize_response's headers, then rendering.
        renderer = parts["renderer"]
        response: Any = HttpResponse(
            renderer.render(data, renderer.media_type, {}), content_type=renderer.media_type
        )
        if data["degraded"]:
            response["X-Search-Degraded"] = "1"
        patch_vary_headers(response, parts["vary"])
        for key, value in parts["headers"].items():
            response[key] = value
        # The middleware's response hooks, last first, as the chain runs them.
        for name, value in parts["csp"]:
            response[name] = value
        for name in ("xframe", "common", "locale", "session", "security"):
            response = parts[name].process_response(request, response)
        response["X-Request-ID"] = rid
        seconds = time.perf_counter() - started
        status = response.status_code
        response._resource_closers.append(
            lambda: RequestMiddleware._record_for(rid, request, status, seconds)
        )
        response._resource_closers.append(request.close)
        response._handler_class = self.__class__
        SearchFastPathHandler.answered += 1
        return response


def _csp_headers(csp: Any) -> list[tuple[str, str]]:
    """The headers CSPMiddleware gives this API's answers. Built from the settings alone (the
    path, no nonce: a JSON answer never asks for one, no per-view policy), so the same for every
    answer; building them took ~0.15 ms a request (a third of the fast path)."""
    request = HttpRequest()
    request.path = request.path_info = PATH
    csp.process_request(request)
    response = csp.process_response(request, HttpResponse(content_type="application/json"))
    return [(name, value) for name, value in response.items() if name.startswith("Content-Sec")]


def enabled() -> bool:
    """On unless SEARCH_API_FAST_PATH is off, for MIDDLEWARE as written above, while PATH is
    ProductSearchApi's and the view's DRF guards are as written (`_dispatch_as_written`)."""
    from search.apis import ProductSearchApi

    if not getattr(settings, "SEARCH_API_FAST_PATH", True):
        return False
    if not _dispatch_as_written(ProductSearchApi):
        return False
    if tuple(m for m in settings.MIDDLEWARE if not m.startswith("whitenoise.")) != tuple(
        m for m in MIDDLEWARE if not m.startswith("whitenoise.")
    ):
        return False
    if settings.STATIC_URL and PATH.startswith(settings.STATIC_URL):
        return False
    try:
        match = resolve(PATH, urlconf=settings.ROOT_URLCONF)
    except Resolver404:
        return False
    return getattr(match.func, "view_class", None) is ProductSearchApi


def _dispatch_as_written(view: Any) -> bool:
    """Whether DRF's dispatch of `view` does for a guest's plain GET only what the fast path
    does (AUTHENTICATION above): no throttle, AllowAny, known authenticators, no versioning,
    DRF's own content negotiation."""
    return (
        not view.throttle_classes
        and list(view.permission_classes) == [AllowAny]
        and set(view.authentication_classes) <= AUTHENTICATION
        and view.versioning_class is None
        and view.content_negotiation_class is DefaultContentNegotiation
    )
