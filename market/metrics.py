"""Prometheus metrics of HTX Market, served at /metrics (market.observability).

Counters and histograms live in this module so every app can import them (market is the bottom
app). With several processes (gunicorn workers, Celery worker processes) set
PROMETHEUS_MULTIPROC_DIR to a directory shared by them on the host: each process writes its
values there and /metrics adds them up (prometheus_client's multiprocess mode)."""

from prometheus_client import Counter, Histogram

# Latency buckets in seconds: the target is p95 <= 250 ms.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Histogram(
    "htx_http_request_duration_seconds",
    "Time to answer an HTTP request, by route name, method and status class.",
    ["route", "method", "status"],
    buckets=_BUCKETS,
)
CHECKOUTS = Counter(
    "htx_checkouts_total",
    "Checkout attempts by outcome (placed, or the error code).",
    ["outcome"],
)
SEARCH_LATENCY = Histogram(
    "htx_search_backend_duration_seconds",
    "Time the search backend took to answer a query, by backend and outcome.",
    ["backend", "outcome"],
    buckets=_BUCKETS,
)
TASKS = Counter(
    "htx_tasks_total",
    "Background task runs by task name and outcome (success, retry, failure).",
    ["task", "outcome"],
)
TASKS_UNPUBLISHED = Counter(
    "htx_tasks_unpublished_total",
    "Tasks that could not be handed to the broker (kept for background_flush).",
    ["task"],
)


def render() -> bytes:
    """The text /metrics serves: this process's metrics (or, in multiprocess mode, every
    process's on this host), plus the outbox backlog read from the database now."""
    import os

    from prometheus_client import REGISTRY as default_registry
    from prometheus_client import CollectorRegistry, generate_latest

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = default_registry
    scraped = CollectorRegistry()
    scraped.register(_DatabaseGauges())
    return generate_latest(registry) + generate_latest(scraped)


class _DatabaseGauges:
    """Gauges read at scrape time: the search outbox backlog and its oldest row's age, and the
    background tasks waiting or failed."""

    def collect(self):
        from django.db.models import Count, Min
        from django.utils import timezone
        from prometheus_client.core import GaugeMetricFamily

        from market.models import BackgroundTask, OutboxEvent

        outbox = OutboxEvent.objects.aggregate(n=Count("id"), oldest=Min("created_at"))
        age = (timezone.now() - outbox["oldest"]).total_seconds() if outbox["oldest"] else 0.0
        yield GaugeMetricFamily(
            "htx_search_outbox_backlog", "Outbox rows not yet applied to the index.", outbox["n"]
        )
        yield GaugeMetricFamily(
            "htx_search_outbox_oldest_age_seconds", "Age of the oldest outbox row.", age
        )
        tasks = GaugeMetricFamily(
            "htx_background_tasks", "Background task rows by status.", labels=["status"]
        )
        counts = dict(
            BackgroundTask.objects.values_list("status").annotate(n=Count("id")).order_by()
        )
        for status in BackgroundTask.Status.values:
            tasks.add_metric([status], counts.get(status, 0))
        yield tasks
