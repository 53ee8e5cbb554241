"""Shared pytest setup.

Real services are found through environment variables that `services/svc` writes to
`.services/env` (the Makefile sources it): PG_TEST_URL (the suite then runs on PostgreSQL),
ELASTICSEARCH_URL, OPENSEARCH_URL, STRIPE_MOCK_URL, CHROMIUM_PATH. A test marked with a service
marker is skipped with a one-line reason when that service is not there, and fails instead when
REQUIRE_SERVICES=1 (CI).
"""

import os
import uuid

import pytest
from django.db import connection

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"

SERVICE_MARKERS = {
    "elasticsearch": (
        "ELASTICSEARCH_TEST_URL",
        "no Elasticsearch node (services/svc elasticsearch start)",
    ),
    "opensearch": ("OPENSEARCH_TEST_URL", "no OpenSearch node (services/svc opensearch start)"),
    "stripe_mock": ("STRIPE_MOCK_URL", "no stripe-mock (services/svc stripe-mock start)"),
    "redis": ("REDIS_TEST_URL", "no Redis (services/svc redis start)"),
    "browser": (
        "CHROMIUM_PATH",
        "no Chromium (apt-get install chromium; services/svc chromium status)",
    ),
}


def service_missing(reason: str):
    """Skip locally; fail in CI (REQUIRE_SERVICES=1) where every service must be present."""
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _require_marked_services(request):
    for marker, (var, reason) in SERVICE_MARKERS.items():
        if request.node.get_closest_marker(marker) and not os.environ.get(var):
            service_missing(reason)
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        service_missing("needs PostgreSQL (run with PG_TEST_URL, e.g. services/svc postgres start)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI (REQUIRE_SERVICES=1) a skip is a failure, whatever its reason."""
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_SERVICES and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under REQUIRE_SERVICES=1: {reason}"


def _uses_db(item) -> bool:
    names = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}
    return bool(item.get_closest_marker("django_db") or names & set(item.fixturenames))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After every database test (still inside its data), the ledger must agree with the money
    events: every transaction balanced, every account equal to its recomputation from payments,
    refunds, orders and payouts (`manage.py ledger_check`). Tests that tamper with the ledger on
    purpose are marked `ledger_drift_expected`."""
    result = yield
    if _uses_db(item) and not item.get_closest_marker("ledger_drift_expected"):
        from django.db import connection

        from ledger.checks import account_label, ledger_check

        if connection.connection is not None or connection.in_atomic_block:
            check = ledger_check()
            assert check.ok, "ledger does not agree after this test: " + "; ".join(
                [f"{account_label(k)} expected {e} ledger {a}" for k, (e, a) in check.drift.items()]
                + [f"transaction #{t} unbalanced" for t in check.unbalanced]
            )
    return result


def pytest_collection_modifyitems(config, items):
    """Tests about SQLite itself are not run on PostgreSQL at all (the SQLite pass runs them), so
    that a skip always means a missing service, which CI treats as a failure."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return
    kept = [i for i in items if not i.get_closest_marker("sqlite_only")]
    if len(kept) != len(items):
        config.hook.pytest_deselected(
            items=[i for i in items if i.get_closest_marker("sqlite_only")]
        )
        items[:] = kept


def pytest_report_header(config):
    from django.conf import settings

    db = settings.DATABASES["default"]
    lines = [f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('HOST') or db.get('NAME')}"]
    for var in (
        "ELASTICSEARCH_TEST_URL",
        "OPENSEARCH_TEST_URL",
        "STRIPE_MOCK_URL",
        "REDIS_TEST_URL",
        "CHROMIUM_PATH",
    ):
        lines.append(f"{var}: {os.environ.get(var) or '-'}")
    lines.append(f"REQUIRE_SERVICES={int(REQUIRE_SERVICES)}")
    return lines


_service_counts: dict[str, int] = {}


def pytest_runtest_logreport(report):
    if report.when != "call" or report.outcome != "passed":
        return
    for marker in ("postgres", *SERVICE_MARKERS):
        if marker in report.keywords:
            _service_counts[marker] = _service_counts.get(marker, 0) + 1


RELEVANCE_REPORT: list[str] = []  # lines from tests/unit/test_search_relevance.py


def pytest_terminal_summary(terminalreporter):
    for line in RELEVANCE_REPORT:
        terminalreporter.write_line(line)
    counts = ", ".join(f"{k}={v}" for k, v in sorted(_service_counts.items())) or "none"
    terminalreporter.write_line(f"tests passed against real services: {counts}")


@pytest.fixture(autouse=True)
def _reference_data_present(request, django_db_blocker):
    """Transactional tests end with a flush that also empties the administrative units a data
    migration loaded; put them back before any database test that runs after one."""
    uses_db = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
        "live_server",
        "django_db_reset_sequences",
    } & set(request.fixturenames)
    if uses_db:
        from market.models import Province
        from market.reference.admin_units import load

        with django_db_blocker.unblock():
            if not Province.objects.exists():
                load()
    yield


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # PBKDF2 costs ~0.3 s per user on these machines; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _background_tasks_in_process(settings):
    # No broker: every queued task runs in this process after commit (market.background), so a
    # test sees mails in mailoutbox once the on_commit callbacks ran. The worker tests
    # (tests/integration/test_background_worker.py) start a real Celery worker and broker.
    settings.CELERY_BROKER_URL = ""


@pytest.fixture(autouse=True)
def _imports_run_in_the_request(settings):
    # Web imports are a background task after commit; a test inside a transaction never commits,
    # so tests run them inline unless they test the task itself (test_catalog_import_runner.py).
    settings.CATALOG_IMPORT_RUNNER = "inline"


@pytest.fixture(autouse=True)
def _checkout_limits_out_of_the_way(settings):
    # The per-buyer bounds on unpaid orders and checkouts (orders.services.limits) would stop
    # tests that place many orders for one buyer; tests/integration/test_security_checkout.py
    # tests the bounds themselves with the production defaults.
    settings.ORDER_UNPAID_MAX_OPEN = 10_000
    settings.ORDER_UNPAID_MAX_VALUE_VND = 10**15
    settings.ORDER_CHECKOUTS_PER_HOUR = 10_000
    settings.ORDER_VERIFIED_EMAIL_ABOVE_VND = 10**15


@pytest.fixture(autouse=True)
def _category_copy_per_test():
    # catalog.selectors.category_rows keeps the category table per process while
    # PUBLIC_CACHE_SECONDS > 0 (some tests turn that on): one test's categories (rolled back, and
    # on SQLite their ids reused) must not name the next test's.
    from catalog import selectors

    selectors._categories = (0.0, {})


@pytest.fixture(autouse=True)
def _card_parts_per_test():
    # search.cards keeps result cards' static parts per process for one card generation; a
    # test's rows are rolled back (the generation row with them, and on SQLite their ids reused),
    # so one test's names must not show in the next test's cards.
    from search import cards

    cards.forget()


@pytest.fixture(autouse=True)
def _province_ranking_not_cached(settings):
    # The "most used provinces" ranking is cached an hour in the per-process cache, which would
    # carry one test's checkouts into the next test's address form.
    settings.ORDER_PROVINCE_RANKING_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def actors(db):
    """The five actors of every permission matrix, around one verified cooperative."""
    from tests.factories import market as f

    coop = f.CooperativeFactory(verified=True)
    other = f.CooperativeFactory(verified=True)
    return {
        "coop": coop,
        "other_coop": other,
        "anonymous": None,
        "buyer": f.UserFactory(),
        "staff": f.MembershipFactory(cooperative=coop, role="OWNER").user,
        "other_staff": f.MembershipFactory(cooperative=other, role="OWNER").user,
        "admin": f.UserFactory(platform_admin=True),
    }


def client_for(user):
    from rest_framework.test import APIClient

    c = APIClient()
    if user is not None:
        c.force_authenticate(user)
    return c


# --- the backend fixtures shared by the search suites (unit and integration) ---------------------

from tests.factories.search import ENGINE_URL_VARS  # noqa: E402

BACKEND_PARAMS = [
    pytest.param("database", marks=pytest.mark.sqlite, id="database"),
    pytest.param("elasticsearch", marks=pytest.mark.elasticsearch, id="elasticsearch"),
    pytest.param("opensearch", marks=pytest.mark.opensearch, id="opensearch"),
]


@pytest.fixture(params=BACKEND_PARAMS)
def search_backend(request, settings, db):
    yield from from_param(request, settings)


@pytest.fixture(params=BACKEND_PARAMS[1:])
def engine_backend(request, settings, db):
    """Like `search_backend`, over the engines only (for what only a separate process can do)."""
    yield from from_param(request, settings)


def from_param(request, settings):
    """Each available backend in turn, configured as *the* backend (so selectors, sync and the
    API use it), with a per-test index prefix on engines; the indices are deleted afterwards."""
    from search.backends import get_backend

    name = request.param
    settings.SEARCH_BACKEND = name
    settings.SEARCH_SYNC_ON_COMMIT = True
    settings.SEARCH_INDEX_PREFIX = (
        f"{os.environ.get('SEARCH_INDEX_PREFIX', 'test')}-{uuid.uuid4().hex[:8]}"
    )
    if name in ENGINE_URL_VARS:
        setting, var = ENGINE_URL_VARS[name]
        setattr(settings, setting, os.environ[var])
    backend = get_backend()
    backend.clear()
    yield backend
    if name in ENGINE_URL_VARS:
        backend._call(backend._delete_index, f"{backend.read_alias}*")


from tests.factories.quotes import trade  # noqa: E402, F401  (the RFQ actors and market)


@pytest.fixture(scope="module")
def celery_worker_process(request, django_db_setup, django_db_blocker, tmp_path_factory):
    """A real `celery -A market worker` on REDIS_TEST_URL and this run's test database, for the
    tests of a module (tests/celery_worker.py). Use with `transactional_db` and `broker`."""
    from tests.celery_worker import Worker

    url = os.environ.get("REDIS_TEST_URL")
    if not url:
        service_missing("no Redis (services/svc redis start)")
    worker = Worker(url, tmp_path_factory.mktemp("worker"))
    with django_db_blocker.unblock():
        worker.start()
    yield worker
    worker.stop()
    if request.session.testsfailed:
        print(f"\n--- celery worker log ({worker.log_path}) ---\n{worker.log()[-3000:]}")


@pytest.fixture
def broker(celery_worker_process, settings):
    """This test process queues to the worker's broker and queue (enqueue publishes to Redis)."""
    from tests.celery_worker import use_broker

    use_broker(settings, celery_worker_process.broker_url, celery_worker_process.queue)
    return celery_worker_process
