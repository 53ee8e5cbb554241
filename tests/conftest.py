"""Shared pytest setup.

Real services are found through environment variables that `services/svc` writes to
`.services/env` (the Makefile sources it): PG_TEST_URL (the suite then runs on PostgreSQL),
ELASTICSEARCH_URL, OPENSEARCH_URL, STRIPE_MOCK_URL, CHROMIUM_PATH. A test marked with a service
marker is skipped with a one-line reason when that service is not there, and fails instead when
REQUIRE_SERVICES=1 (CI).
"""

import os

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
        from market.admin_units import load
        from market.models import Province

        with django_db_blocker.unblock():
            if not Province.objects.exists():
                load()
    yield


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # PBKDF2 costs ~0.3 s per user on these machines; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _market_mail_inline(settings):
    # market.mail sends from a thread in production; tests send in the on_commit callback so
    # mailoutbox is filled deterministically (test_market_accounts_api.py tests the thread path).
    settings.MARKET_MAIL_ASYNC = False


@pytest.fixture(autouse=True)
def _imports_run_in_the_request(settings):
    # Web imports run in a background thread in production; a test outside a real transaction
    # cannot see a thread's writes, so tests run them inline unless they test the thread runner
    # (tests/integration/test_catalog_import_runner.py sets "thread" itself).
    settings.CATALOG_IMPORT_RUNNER = "inline"


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
        "admin": f.UserFactory(is_staff=True),
    }


def client_for(user):
    from rest_framework.test import APIClient

    c = APIClient()
    if user is not None:
        c.force_authenticate(user)
    return c


from tests.factories.quotes import trade  # noqa: E402, F401  (the RFQ actors and market)
