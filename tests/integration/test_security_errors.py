"""Security audit, finding 5: the requests that answered HTTP 500 now get a clear 4xx, and a
real 500 or 404 under /api/ is our `{code, message, fields}` JSON, not an HTML page."""

import base64
import json
import sqlite3
import threading

import pytest
from django.db.backends.sqlite3.base import DatabaseWrapper

from catalog.models import Product
from orders.models import CartLine
from tests.conftest import client_for
from tests.factories.catalog import ProductFactory
from tests.factories.market import MembershipFactory, UserFactory
from tests.factories.orders import fill_cart

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def _cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


def test_import_template_format_is_a_fixed_set_no_header_injection(api_client):
    injected = api_client.get("/api/v1/catalog/import-template.csv%0d%0aX-Evil:%201")
    star = api_client.get("/api/v1/catalog/import-template.csv\";filename*=UTF-8''evil.html")
    csv = api_client.get("/api/v1/catalog/import-template.csv")

    assert injected.status_code == 404
    assert injected.json() == {
        "code": "not_found",
        "message": injected.json()["message"],
        "fields": {},
    }
    assert "X-Evil" not in injected.headers
    assert star.status_code == 404
    assert csv.status_code == 200
    assert csv["Content-Disposition"] == 'attachment; filename="mau-nhap-san-pham.csv"'


@pytest.mark.parametrize(
    "values",
    [[100000000000000000000000], [-(2**64)], [float("inf")], [True]],
    ids=["beyond-int64", "below-int64", "infinity", "bool"],
)
def test_search_cursor_out_of_range_is_400(api_client, values):
    response = api_client.get("/api/v1/search/products", {"cursor": _cursor(values)})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_search"
    assert "cursor" in response.json()["fields"]


@pytest.mark.parametrize(
    "param", ["price_min", "price_max", "category", "province", "cooperative", "page"]
)
def test_search_numbers_beyond_int64_are_400(api_client, param):
    response = api_client.get("/api/v1/search/products", {param: "99999999999999999999999"})

    assert response.status_code == 400
    assert response.json()["code"] == "validation_failed"
    assert list(response.json()["fields"]) == [param]


def test_json_nested_3000_deep_is_400_and_changes_nothing():
    user = UserFactory(language="vi")
    nested = '{"language":' * 3000 + '"en"' + "}" * 3000

    response = client_for(user).post(
        "/api/v1/auth/language/", nested, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    user.refresh_from_db()
    assert user.language == "vi"


def test_ids_beyond_int64_are_404_not_500(api_client):
    owner = MembershipFactory(cooperative__verified=True).user
    product = ProductFactory(cooperative=owner.memberships.get().cooperative)
    fill_cart(owner, (product, 1))

    listing = api_client.get("/api/v1/cooperatives/54727717320284602368/products/")
    delete = client_for(owner).delete("/api/v1/cart/lines/99999999999999999999/")
    biggest = client_for(owner).delete(f"/api/v1/cart/lines/{2**63 - 1}/")

    assert listing.status_code == 404
    assert listing.json()["code"] == "not_found"
    assert delete.status_code == 404
    assert delete.json()["code"] == "not_found"
    assert biggest.status_code == 200  # in range: an idempotent removal of nothing
    assert CartLine.objects.filter(cart__user=owner, product=product).count() == 1
    assert Product.objects.filter(pk=product.pk).exists()


@pytest.mark.urls("tests.security_urls")
def test_api_500_and_404_answer_json_pages_keep_html(client):
    client.raise_request_exception = False

    api_500 = client.get("/api/v1/boom/")
    api_404 = client.get("/api/v1/no-such-thing/")
    page_500 = client.get("/pages/boom/")

    assert api_500.status_code == 500
    assert api_500["Content-Type"] == "application/json"
    assert api_500.json()["code"] == "server_error"
    assert set(api_500.json()) == {"code", "message", "fields"}
    assert api_404.status_code == 404
    assert api_404.json()["code"] == "not_found"
    assert page_500.status_code == 500
    assert page_500["Content-Type"].startswith("text/html")


@pytest.mark.sqlite_only
def test_sqlite_transactions_are_immediate_so_concurrent_writers_wait(settings, tmp_path):
    """Four writers that read then write, each in its own connection to one SQLite file: with
    DEFERRED transactions the lock upgrade fails at once ("database is locked"); with the
    project's IMMEDIATE transactions every writer waits its turn and every increment lands."""

    def run(options) -> tuple[int, list[str]]:
        path = tmp_path / f"race-{options.get('transaction_mode', 'DEFERRED')}.sqlite3"
        conn = sqlite3.connect(path)
        conn.executescript(
            "PRAGMA journal_mode=WAL; CREATE TABLE c (n INTEGER); INSERT INTO c VALUES (0);"
        )
        conn.close()
        errors, barrier = [], threading.Barrier(4)

        def writer(i):
            db = DatabaseWrapper(
                {**settings.DATABASES["default"], "NAME": str(path), "OPTIONS": options},
                alias=f"w{i}",
            )
            try:
                db.ensure_connection()
                barrier.wait()
                db._start_transaction_under_autocommit()  # what transaction.atomic() does
                cur = db.connection.cursor()
                n = cur.execute("SELECT n FROM c").fetchone()[0]
                threading.Event().wait(0.05)
                cur.execute("UPDATE c SET n = ?", [n + 1])
                cur.execute("COMMIT")
            except Exception as exc:
                errors.append(str(exc))
            finally:
                db.close()

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        conn = sqlite3.connect(path)
        total = conn.execute("SELECT n FROM c").fetchone()[0]
        conn.close()
        return total, errors

    project_options = dict(settings.DATABASES["default"]["OPTIONS"])
    deferred = {k: v for k, v in project_options.items() if k != "transaction_mode"}
    deferred["timeout"] = 1

    immediate_total, immediate_errors = run(project_options)
    deferred_total, deferred_errors = run(deferred)

    assert project_options["transaction_mode"] == "IMMEDIATE"
    assert immediate_errors == []
    assert immediate_total == 4
    assert any("locked" in e for e in deferred_errors)
    assert deferred_total < 4


def test_bad_province_on_a_cooperative_with_a_ward_is_400_not_500():
    """Found by the schema fuzzing: the ward check compared against the unvalidated text."""
    owner = MembershipFactory(cooperative__verified=True).user
    coop = owner.memberships.get().cooperative
    before = (coop.province_id, coop.ward_id)

    response = client_for(owner).patch(
        f"/api/v1/cooperatives/{coop.pk}/", {"province": "\x9e\x06Æ0"}, format="json"
    )

    assert response.status_code == 400
    assert "province" in response.json()["fields"]
    coop.refresh_from_db()
    assert (coop.province_id, coop.ward_id) == before
