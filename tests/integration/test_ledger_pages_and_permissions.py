"""Who may call every ledger endpoint and page (anonymous, buyer, the cooperative's staff, another
cooperative's staff, admin), and what the pages show."""

import pytest
from django.test import Client
from django.utils import timezone

from ledger.models import PayoutBatch, PayoutLine, Transaction
from ledger.services import payout_run
from tests.conftest import client_for
from tests.factories.catalog import ProductFactory
from tests.factories.orders import export_address, pay_by_card, place

pytestmark = pytest.mark.django_db
ROLES = ["anonymous", "buyer", "staff", "other_staff", "admin"]


@pytest.fixture
def money(actors, settings):
    """A completed card order of the actors' cooperative, released, and a payout line for it."""
    from orders.services.transitions import order_transition

    settings.PAYMENT_METHODS = ["bank_transfer", "cod", "stripe"]
    checkout = place(
        actors["buyer"],
        (
            ProductFactory(cooperative=actors["coop"], price_vnd=900_000, name_vi="Cà phê Cầu Đất"),
            1,
        ),
        payment_method="stripe",
        address=export_address(),
    )
    pay_by_card(checkout)
    order = checkout.orders.get()
    for step in ("CONFIRMED", "PACKED", "SHIPPED", "DELIVERED", "COMPLETED"):
        extra = {"carrier": "GHN", "tracking_number": "GHN1"} if step == "SHIPPED" else {}
        order_transition(actor=actors["admin"], order_id=order.pk, to=step, **extra)
    batch = payout_run(minimum_vnd=0)
    return {"order": order, "batch": batch, "line": batch.lines.get()}


def _status(role, actors, method, url, data=None):
    client = client_for(actors[role])
    if method == "get":
        return client.get(url).status_code
    return client.post(url, data or {}, format="json").status_code


def test_permission_matrix_of_every_ledger_endpoint(actors, money):
    coop, line, batch = actors["coop"].pk, money["line"], money["batch"]
    period = timezone.localdate().strftime("%Y-%m")
    base = f"/api/v1/ledger/cooperatives/{coop}"
    endpoints = {
        ("get", f"{base}/balances/"): [401, 404, 200, 404, 200],
        ("get", f"{base}/statements/{period}.csv"): [401, 404, 200, 404, 200],
        ("get", f"{base}/statements/{period}.pdf"): [401, 404, 200, 404, 200],
        ("get", f"{base}/commission-invoices/{period}.pdf"): [401, 404, 200, 404, 200],
        ("get", "/api/v1/admin/ledger/"): [401, 403, 403, 403, 200],
        ("get", f"/api/v1/admin/ledger/payout-batches/{batch.pk}/transfers.csv"): [
            401,
            403,
            403,
            403,
            200,
        ],
        ("post", "/api/v1/admin/ledger/payout-runs/"): [401, 403, 403, 403, 204],
        ("post", "/api/v1/admin/ledger/payouts/"): [401, 403, 403, 403, 400],
        ("post", "/api/v1/admin/ledger/adjustments/"): [401, 400, 400, 400, 400],
        ("post", f"/api/v1/admin/ledger/payout-lines/{line.pk}/failed/"): [401, 403, 403, 403, 400],
        ("post", f"/api/v1/admin/ledger/payout-lines/{line.pk}/paid/"): [401, 403, 403, 403, 400],
    }
    before = (
        Transaction.objects.count(),
        PayoutBatch.objects.count(),
        PayoutLine.objects.get(pk=line.pk).status,
    )

    got = {key: [_status(role, actors, key[0], key[1]) for role in ROLES] for key in endpoints}

    assert got == endpoints
    assert before == (
        Transaction.objects.count(),
        PayoutBatch.objects.count(),
        PayoutLine.objects.get(pk=line.pk).status,
    )


def test_an_adjustment_by_a_non_admin_with_a_full_body_is_forbidden(actors, money):
    body = {"debit_account_id": 1, "credit_account_id": 2, "amount_vnd": 10, "reason": "x"}

    answers = [
        client_for(actors[r]).post("/api/v1/admin/ledger/adjustments/", body, format="json")
        for r in ("buyer", "staff", "other_staff")
    ]

    assert [(a.status_code, a.json()["code"]) for a in answers] == [(403, "admin_only")] * 3


def _page_client(user):
    c = Client()
    c.force_login(user)
    return c


def test_the_earnings_page_shows_balances_chart_top_products_and_statements(actors, money):
    order = money["order"]

    response = _page_client(actors["staff"]).get(f"/htx/{actors['coop'].pk}/doanh-thu/")
    html = response.content.decode()

    assert response.status_code == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 180"' in html
    assert html.count("<rect ") == 12  # one bar a week
    assert "Cà phê Cầu Đất" in html
    assert f"/api/v1/ledger/cooperatives/{actors['coop'].pk}/statements/" in html
    payable = f"{order.total_vnd - order.commission_vnd:,}"
    assert payable in html or payable.replace(",", ".") in html


def test_pages_are_only_for_their_people(actors, money):
    coop = actors["coop"].pk
    pages = {
        f"/htx/{coop}/doanh-thu/": {"buyer": 404, "staff": 200, "other_staff": 404, "admin": 404},
        "/quan-tri/tai-chinh/": {"buyer": 404, "staff": 404, "other_staff": 404, "admin": 200},
    }

    got = {
        url: {role: _page_client(actors[role]).get(url).status_code for role in expected}
        for url, expected in pages.items()
    }
    anonymous = [Client().get(url).status_code for url in pages]

    assert got == pages
    assert anonymous == [302, 302]  # to the login page


def test_the_finance_page_settles_a_line_and_refuses_a_second_time(actors, money):
    line, admin = money["line"], _page_client(actors["admin"])

    page = admin.get("/quan-tri/tai-chinh/").content.decode()
    first = admin.post(
        f"/quan-tri/tai-chinh/chi-tra/{line.pk}/da-chuyen/", {"bank_reference": "FT99"}
    )
    count = Transaction.objects.count()
    second = admin.post(
        f"/quan-tri/tai-chinh/chi-tra/{line.pk}/da-chuyen/",
        {"bank_reference": "FT100"},
        follow=True,
    )

    assert f"/api/v1/admin/ledger/payout-batches/{money['batch'].pk}/transfers.csv" in page
    assert first.status_code == 302 and PayoutLine.objects.get(pk=line.pk).bank_reference == "FT99"
    assert Transaction.objects.count() == count
    assert "already settled" in second.content.decode() or "đã được" in second.content.decode()


def test_the_payout_csv_has_the_bank_columns(actors, money):
    line = money["line"]

    csv_text = (
        client_for(actors["admin"])
        .get(f"/api/v1/admin/ledger/payout-batches/{money['batch'].pk}/transfers.csv")
        .content.decode()
    )

    header, row = csv_text.strip().splitlines()
    assert header == "beneficiary_name,account_number,bank_bin,amount_vnd,transfer_note,line_id"
    assert row.split(",")[3:] == [str(line.amount_vnd), line.transfer_note, str(line.pk)]
