"""search.fastpath answers a guest's plain search GET exactly as Django's middleware and DRF do:
every request below goes through the fast path's WSGI handler and through Django's own, and the
two answers must be the same status, the same headers in the same order (a generated request id
aside) and the same body, with the same access log line and latency metric. The requests the
fast path must leave to the full stack (other methods, credentials, cookies, other renderers,
bad parameters, a failing search) are in the set too, and are checked to have gone there."""

import logging
import re

import pytest
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.test import RequestFactory
from prometheus_client import REGISTRY
from rest_framework.authentication import BasicAuthentication, TokenAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.throttling import AnonRateThrottle

from market.logs import ContextFilter
from search.apis import ProductSearchApi
from search.fastpath import SearchFastPathHandler, enabled
from tests.factories.search import build_catalog, index_everything

URL = "/api/v1/search/products"
RID = re.compile(r"^[0-9a-f]{32}$")

# (query string, extra environ, answered by the fast path)
GUEST_GETS = [
    ("q=ca+phe", {}, True),
    ("", {}, True),
    ("q=c%C3%A0+ph%C3%AA&in_stock=true&certification=VIETGAP&sort=price_asc&size=2", {}, True),
    ("q=tra&category=1&province=1&price_min=1000&price_max=900000&ocop_stars=3", {}, True),
    ("size=1&page=2&sort=newest", {}, True),
    ("q=hoa+hoii+khoo", {}, True),  # a corrected typo
    ("q=ca+phe&export_ready=false&incoterm=FOB&pack=1kg&grade=A&crop_year=2025", {}, True),
    ("q=ca+phe", {"HTTP_ACCEPT_LANGUAGE": "en"}, True),
    ("q=ca+phe", {"HTTP_ACCEPT_LANGUAGE": "vi,en;q=0.8"}, True),
    ("q=ca+phe", {"HTTP_COOKIE": "django_language=en"}, True),
    ("q=ca+phe", {"HTTP_COOKIE": "django_language=vi", "HTTP_ACCEPT_LANGUAGE": "en"}, True),
    ("q=ca+phe", {"HTTP_ACCEPT": "application/json"}, True),
    ("q=ca+phe", {"HTTP_ACCEPT": "*/*", "HTTP_X_REQUEST_ID": "my-trace.1"}, True),
    ("q=ca+phe", {"HTTP_X_REQUEST_ID": "not a sane id!"}, True),
    # left to the full stack
    ("price_min=-1", {}, False),
    ("ocop_stars=9&sort=cheapest", {"HTTP_ACCEPT_LANGUAGE": "en"}, False),
    ("category=abc", {"HTTP_COOKIE": "django_language=vi"}, False),
    ("page=1000000", {}, False),  # the search raises page_too_deep: the full stack answers it
    ("cursor=not-a-cursor", {}, False),
    ("q=ca+phe&format=json", {}, False),
    ("q=ca+phe&unknown=1", {}, False),
    ("q=ca+phe", {"HTTP_ACCEPT": "text/html"}, False),  # DRF's browsable API
    ("q=ca+phe", {"HTTP_ACCEPT": "application/json; indent=4"}, False),
    ("q=ca+phe", {"HTTP_AUTHORIZATION": "Token not-a-token"}, False),  # 401
    ("q=ca+phe", {"HTTP_COOKIE": "sessionid=abc; django_language=en"}, False),
    ("q=ca+phe", {"HTTP_COOKIE": "csrftoken=short"}, False),
    ("q=ca+phe", {"HTTP_HOST": "evil.example"}, False),  # 400, DisallowedHost
]
OTHER_METHODS = [("HEAD", "q=ca+phe"), ("OPTIONS", ""), ("POST", "q=ca+phe"), ("PUT", "")]


@pytest.fixture
def catalog(search_backend, settings):
    settings.PUBLIC_CACHE_SECONDS = 0  # both paths search (the shared cache has its own tests)
    data = build_catalog()
    index_everything(search_backend)
    return data


@pytest.fixture(autouse=True)
def _keep_the_tests_connection():
    """As Django's test client: the request signals do not close the test's database connection
    (inside its transaction, on PostgreSQL, they would close it for good)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def access_log(caplog):
    caplog.set_level(logging.INFO, logger="htx.request")
    caplog.handler.addFilter(ContextFilter())
    yield caplog
    caplog.handler.removeFilter(caplog.handler.filters[-1])


def environ_for(method: str, query: str, extra: dict) -> dict:
    path = f"{URL}?{query}" if query else URL
    return RequestFactory().generic(method, path, **extra).environ


def _masked(name: str, value: str) -> str:
    if name == "X-Request-ID" and RID.match(value):
        return "<generated>"
    if name == "Set-Cookie":  # a fresh CSRF cookie (the full stack's answer to a bad one)
        value = re.sub(r"expires=[^;]*", "expires=<when>", value)
        return re.sub(r"=[^;]*", "=<generated>", value, count=1)
    return value


def call(app, environ: dict, access_log) -> tuple:
    """(status, headers with a generated request id masked, body, access log fields, metric)."""
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, headers

    access_log.clear()
    response = app(environ, start_response)
    try:
        body = b"".join(response)
    finally:
        response.close()  # as the server does: the access log line and the metric
    headers = [(name, _masked(name, value)) for name, value in seen["headers"]]
    lines = [
        (r.method, r.path, r.route, r.status, r.user_id, RID.sub("<generated>", r.request_id))
        for r in access_log.records
        if r.name == "htx.request" and hasattr(r, "route")  # the access line
    ]
    return seen["status"], headers, body, lines


def requests_count(route: str, method: str, status: str) -> float:
    labels = {"route": route, "method": method, "status": status}
    return REGISTRY.get_sample_value("htx_http_request_duration_seconds_count", labels) or 0.0


def _shape(answer: tuple) -> tuple:
    status, headers, body, lines = answer
    return status, [n for n, _ in headers], body[:15], lines


def assert_the_same_answers(fast, full, access_log, requests):
    for method, query, extra, expected_fast in requests:
        before = fast.answered

        full_answer = call(full, environ_for(method, query, extra), access_log)
        route, status = full_answer[3][0][2], full_answer[0][0] + "xx"
        metric_before = requests_count(route, method, status)
        fast_answer = call(fast, environ_for(method, query, extra), access_log)

        request = f"{method} ?{query} {extra}"
        if extra.get("HTTP_ACCEPT") == "text/html":  # DRF's browsable page: a fresh CSRF token
            fast_answer, full_answer = _shape(fast_answer), _shape(full_answer)
        assert fast_answer == full_answer, request
        assert len(fast_answer[3]) == 1, request  # one access log line, the same
        assert requests_count(route, method, status) == metric_before + 1, request
        assert fast.answered - before == (1 if expected_fast else 0), request


def test_a_guests_search_get_is_answered_as_the_full_stack_answers_it(catalog, access_log):
    fast, full = SearchFastPathHandler(), WSGIHandler()
    cursor_page = call(full, environ_for("GET", "size=1", {}), access_log)[2]
    cursor = re.search(rb'"next_cursor":"([^"]+)"', cursor_page)
    cursor_request = [("GET", f"size=1&cursor={cursor[1].decode()}", {}, True)] if cursor else []

    assert_the_same_answers(
        fast,
        full,
        access_log,
        [("GET", query, extra, answered) for query, extra, answered in GUEST_GETS]
        + cursor_request
        + [(method, query, {}, False) for method, query in OTHER_METHODS],
    )

    # the set covers what it says: answers in both languages, 200s and 400s from the fast path
    english = call(fast, environ_for("GET", "q=ca+phe", {"HTTP_ACCEPT_LANGUAGE": "en"}), access_log)
    assert ("Content-Language", "en") in english[1]
    assert call(fast, environ_for("GET", "price_min=-1", {}), access_log)[0].startswith("400")
    assert call(fast, environ_for("GET", "page=1000000", {}), access_log)[0].startswith("400")


def test_the_security_headers_of_a_production_host_are_the_same(catalog, access_log, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = settings.SECURE_HSTS_PRELOAD = True
    fast, full = SearchFastPathHandler(), WSGIHandler()  # the middleware reads these at start
    https = {"HTTP_X_FORWARDED_PROTO": "https"}

    assert_the_same_answers(
        fast,
        full,
        access_log,
        [
            ("GET", "q=ca+phe", https, True),
            ("GET", "q=ca+phe", {**https, "HTTP_ACCEPT_LANGUAGE": "en"}, True),
            ("GET", "price_max=x", https, False),
            ("GET", "q=ca+phe", {}, False),  # plain HTTP: the redirect to HTTPS
        ],
    )
    headers = dict(call(fast, environ_for("GET", "q=ca+phe", https), access_log)[1])
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert {"X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options"} <= set(headers)
    assert "Content-Security-Policy" in headers


def test_a_degraded_answer_and_an_engine_error_are_the_same(engine_backend, access_log, settings):
    from search import sync

    settings.PUBLIC_CACHE_SECONDS = 0
    settings.SEARCH_FALLBACK = "database"
    build_catalog()
    sync.reindex()  # the engine index and the database fallback
    settings.ELASTICSEARCH_URL = settings.OPENSEARCH_URL = "http://127.0.0.1:9"  # engine down
    fast, full = SearchFastPathHandler(), WSGIHandler()

    assert_the_same_answers(fast, full, access_log, [("GET", "q=ca+phe", {}, True)])
    degraded = call(fast, environ_for("GET", "q=ca+phe", {}), access_log)
    assert ("X-Search-Degraded", "1") in degraded[1]

    settings.SEARCH_FALLBACK = ""  # no fallback: the search raises, the full stack answers 503
    assert_the_same_answers(fast, full, access_log, [("GET", "q=ca+phe", {}, False)])
    assert call(fast, environ_for("GET", "q=ca+phe", {}), access_log)[0].startswith("503")


def test_the_fast_path_is_on_for_the_projects_settings(db):
    """It switches itself off for another middleware list or another view at its path; this
    fails then, so that whoever changes them checks what the fast path must do as well."""
    import market.wsgi

    assert enabled()
    assert isinstance(market.wsgi.application, SearchFastPathHandler)


def test_the_fast_path_is_off_when_the_middleware_changes(db, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "django.middleware.gzip.GZipMiddleware"]

    assert not enabled()


def test_switched_off_every_request_goes_through_the_full_stack(catalog, access_log, settings):
    settings.SEARCH_API_FAST_PATH = False
    fast, full = SearchFastPathHandler(), WSGIHandler()

    assert_the_same_answers(fast, full, access_log, [("GET", "q=ca+phe", {}, False)])


class _OneAMinute(AnonRateThrottle):
    rate = "1/min"


@pytest.mark.parametrize(
    ("attribute", "value", "second_status"),
    [
        ("throttle_classes", [_OneAMinute], "429"),
        ("permission_classes", [IsAuthenticated], "401"),
    ],
)
def test_a_view_that_throttles_or_guards_more_is_not_answered_by_the_fast_path(
    catalog, access_log, monkeypatch, attribute, value, second_status
):
    """What the view is given later (a throttle, a permission) is not skipped: the fast path
    stands aside and the full stack applies it."""
    cache.clear()
    monkeypatch.setattr(ProductSearchApi, attribute, value)
    fast, answered = SearchFastPathHandler(), SearchFastPathHandler.answered

    first = call(fast, environ_for("GET", "q=ca+phe", {}), access_log)
    second = call(fast, environ_for("GET", "q=ca+phe", {}), access_log)

    statuses = [first[0][:3], second[0][:3]]
    assert statuses == (["200", "429"] if second_status == "429" else ["401", "401"])
    assert fast.answered == answered
    assert not enabled()


class _ApiKeyAuthentication(BasicAuthentication):
    """Another way in than the fast path knows to leave to the full stack (its header)."""


def test_the_fast_path_is_off_for_an_authentication_it_does_not_know(db, monkeypatch):
    monkeypatch.setattr(
        ProductSearchApi, "authentication_classes", [_ApiKeyAuthentication, TokenAuthentication]
    )

    assert not enabled()
