"""Health, readiness, metrics and request ids (market/observability.py)."""

import json
import logging
import time

import pytest

from market.logs import ContextFilter, JsonFormatter

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_touching_anything(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_names_each_part_ok(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "search": "ok", "broker": "not configured"}


def test_readyz_answers_503_naming_the_search_engine_that_is_down(client, settings):
    settings.SEARCH_BACKEND = "elasticsearch"
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:1"  # nothing listens there

    response = client.get("/readyz")

    body = response.json()
    assert response.status_code == 503
    assert body["database"] == "ok" and body["broker"] == "not configured"
    assert body["search"].startswith("error: BackendUnavailable: elasticsearch: ConnectionError")


def test_readyz_answers_503_when_the_broker_is_down(client, settings):
    from tests.celery_worker import use_broker

    use_broker(settings, "redis://127.0.0.1:1/0", "test-readyz")

    response = client.get("/readyz")

    body = response.json()
    assert response.status_code == 503
    assert (body["database"], body["search"]) == ("ok", "ok")
    assert body["broker"].startswith("error: ") and "Connection refused" in body["broker"]


def test_the_request_id_is_taken_from_the_header_or_made_and_always_returned(client):
    given = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    made = client.get("/healthz")
    forged = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")

    assert given["X-Request-ID"] == "abc-123"
    assert len(made["X-Request-ID"]) == 32
    assert forged["X-Request-ID"] != "bad id\nwith newline" and len(forged["X-Request-ID"]) == 32


def test_metrics_need_the_token_or_an_allowed_address(client, settings):
    settings.METRICS_TOKEN = "s3cret"
    settings.METRICS_ALLOWED_NETS = []
    client.get("/healthz")

    denied = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope", REMOTE_ADDR="203.0.113.9")
    allowed = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret", REMOTE_ADDR="203.0.113.9")

    assert (denied.status_code, wrong.status_code, allowed.status_code) == (403, 403, 200)
    text = allowed.content.decode()
    assert (
        'htx_http_request_duration_seconds_count{method="GET",route="healthz",status="2xx"}' in text
    )
    assert "htx_search_outbox_backlog " in text and "htx_search_outbox_oldest_age_seconds " in text
    assert 'htx_background_tasks{status="FAILED"} 0.0' in text


def test_a_json_log_line_carries_the_request_id_and_hides_task_arguments():
    from market.logs import request_id_var

    record = logging.LogRecord("htx.x", logging.INFO, __file__, 1, "hello %s", ("vi",), None)
    record.data = {"id": "t1", "kwargs": "{'body': 'reset link'}", "args": "()"}
    token = request_id_var.set("req-42")
    try:
        ContextFilter().filter(record)
    finally:
        request_id_var.reset(token)

    line = json.loads(JsonFormatter().format(record))
    assert (line["level"], line["name"], line["message"], line["request_id"]) == (
        "INFO",
        "htx.x",
        "hello vi",
        "req-42",
    )
    assert line["data"] == {"id": "t1"} and "time" in line


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # the connection is closed: no test transaction around
def test_a_request_while_the_database_is_unreachable_fails_fast_with_503(client, settings):
    from django.db import connection

    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    real_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "9"  # nothing listens: the server is restarting
    try:
        started = time.monotonic()
        down = client.get("/hop-tac-xa/")
        took = time.monotonic() - started
    finally:
        connection.close()
        connection.settings_dict["PORT"] = real_port
    back = client.get("/hop-tac-xa/")

    assert (down.status_code, down["Retry-After"]) == (503, "5")
    assert down.json()["code"] == "service_unavailable" and took < 5
    assert back.status_code == 200


def test_the_access_line_and_the_metric_are_written_once_the_server_has_sent_the_response(
    caplog,
):
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from django.test import RequestFactory
    from prometheus_client import REGISTRY

    from market.logs import request_id_var

    def count() -> float:
        labels = {"route": "unmatched", "method": "GET", "status": "4xx"}
        return REGISTRY.get_sample_value("htx_http_request_duration_seconds_count", labels) or 0

    app, sent = WSGIHandler(), {}
    environ = RequestFactory()._base_environ(
        PATH_INFO="/no-such-page", REQUEST_METHOD="GET", HTTP_X_REQUEST_ID="req-sent-1"
    )
    counted = count()

    # As Django's test client: the request signals do not close the test's database connection
    # (inside its transaction, on PostgreSQL, they would close it for good).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with caplog.at_level(logging.INFO, logger="htx.request"):
            body = app(environ, lambda status, headers: sent.update(status=status, headers=headers))
            b"".join(body)
            lines_before_close = [r for r in caplog.records if r.name == "htx.request"]
            counted_before_close = count()
            body.close()  # what a WSGI server calls once the response is sent
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    lines = [r for r in caplog.records if r.name == "htx.request"]

    assert sent["status"] == "404 Not Found" and ("X-Request-ID", "req-sent-1") in sent["headers"]
    assert lines_before_close == [] and counted_before_close == counted
    assert count() == counted + 1
    assert [(r.getMessage().split()[:3], r.status, r.route) for r in lines] == [
        (["GET", "/no-such-page", "404"], 404, "unmatched")
    ]
    assert lines[0].duration_ms >= 0
    assert request_id_var.get() == ""  # the id is set for the line only, then reset


def test_the_access_line_of_a_request_carries_its_request_id(client):
    from market.logs import ContextFilter

    class Kept(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.INFO)
            self.addFilter(ContextFilter())  # as the configured handlers: at emission
            self.records: list[logging.LogRecord] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.records.append(record)

    kept, logger = Kept(), logging.getLogger("htx.request")
    level = logger.level
    logger.addHandler(kept)
    logger.setLevel(logging.INFO)
    try:
        client.get("/no-such-page", HTTP_X_REQUEST_ID="req-77")
    finally:
        logger.removeHandler(kept)
        logger.setLevel(level)

    assert [(r.request_id, r.status, r.path) for r in kept.records] == [
        ("req-77", 404, "/no-such-page")
    ]
