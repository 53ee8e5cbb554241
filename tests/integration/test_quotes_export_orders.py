"""An export order made from an accepted quote: proforma, deposit and balance by wire (part
payments, overpayment refused), production, shipment with commercial invoice and packing list,
bill of lading, documents released at full payment, completion; PDFs read back as text."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from orders.models import (
    ExchangeRate,
    ExportTerms,
    Installment,
    InstallmentReceipt,
    Order,
    OrderEvent,
)
from quotes.services import quote_accept
from tests.conftest import client_for
from tests.factories.market import PDF_BYTES, UserFactory, upload
from tests.factories.quotes import SHIPMENT, give_quote, post_rfq
from tests.pdf import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(trade):
    ExchangeRate.objects.create(date=timezone.localdate(), rate_vnd=25_400, source="VCB test")
    trade["coop"].bank_bin, trade["coop"].bank_account = "970436", "0071000123456"
    trade["coop"].save()
    rfq = post_rfq(trade)
    quote = give_quote(trade, rfq, deposit_percent=Decimal("30"))
    return quote_accept(actor=trade["buyer"], quote_id=quote.pk).order


def _wire(trade, order, seq, amount, ref, user="staff"):
    inst = order.installments.get(sequence=seq)
    return client_for(trade[user]).post(
        f"/api/v1/orders/{order.code}/installments/{inst.pk}/wire/",
        {"amount": str(amount), "bank_reference": ref},
        format="json",
    )


def test_proforma_holds_parties_hs_code_incoterm_schedule_and_wire_details(trade, order):
    from orders.export_documents import proforma_pdf

    text = pdf_text(proforma_pdf(order, compress=False))

    assert "PROFORMA INVOICE" in text and order.code in text
    assert trade["coop"].legal_name in text and "Hamburg Rice Import GmbH" in text
    assert "1006.30" in text and "FOB Cái Mép" in text
    assert "Deposit 30%: 4,980.00 USD" in text and "Balance 70%: 11,620.00 USD" in text
    assert "SWIFT: BFTVVNVX" in text and "Account: 0071000123456" in text
    assert "Vietcombank" in text and "Beneficiary:" in text
    assert "1 USD = 25,400.00 VND" in text


def test_deposit_by_wire_in_two_parts_puts_the_order_in_production(trade, order):
    over = _wire(trade, order, 1, "4980.01", "FT1")
    by_buyer = _wire(trade, order, 1, "1000", "FT0", user="buyer")
    part = _wire(trade, order, 1, "2000", "FT2")

    assert over.status_code == 422 and over.json()["code"] == "wire_amount_invalid"
    assert by_buyer.status_code == 403
    assert part.status_code == 200, part.content
    assert part.json()["installments"][0]["state"] == "PARTIAL"
    assert Order.objects.get(pk=order.pk).status == "PLACED"
    dup = _wire(trade, order, 1, "100", "FT2")
    assert dup.status_code == 400 and dup.json()["code"] == "duplicate_reference"
    assert InstallmentReceipt.objects.count() == 1

    rest = _wire(trade, order, 1, "2980", "FT3", user="admin")

    assert rest.json()["installments"][0]["state"] == "PAID"
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("CONFIRMED", "UNPAID")
    assert order.amount_paid_vnd == int(Decimal("4980") * 25_400)


def test_cooperative_cannot_confirm_or_deliver_an_export_order_out_of_turn(trade, order):
    confirm = client_for(trade["staff"]).post(f"/api/v1/orders/{order.code}/confirm/", {})

    assert confirm.status_code == 409
    _wire(trade, order, 1, "4980", "FT1")
    client_for(trade["staff"]).post(f"/api/v1/orders/{order.code}/pack/", {})
    client_for(trade["staff"]).post(
        f"/api/v1/orders/{order.code}/shipment/", SHIPMENT, format="json"
    )
    deliver = client_for(trade["staff"]).post(f"/api/v1/orders/{order.code}/deliver/", {})
    assert deliver.status_code == 409  # the balance is not paid: goods and documents held
    assert Order.objects.get(pk=order.pk).status == "SHIPPED"


def test_shipment_documents_bill_of_lading_and_balance_complete_the_order(trade, order):
    staff, buyer = client_for(trade["staff"]), client_for(trade["buyer"])
    _wire(trade, order, 1, "4980", "FT1")
    assert staff.post(f"/api/v1/orders/{order.code}/pack/", {}).status_code == 200

    bad = staff.post(
        f"/api/v1/orders/{order.code}/shipment/",
        {**SHIPMENT, "gross_weight_kg": "10"},
        format="json",
    )
    shipped = staff.post(f"/api/v1/orders/{order.code}/shipment/", SHIPMENT, format="json")

    assert bad.status_code == 400 and bad.json()["code"] == "shipment_invalid"
    assert shipped.status_code == 200 and shipped.json()["status"] == "SHIPPED"
    invoice = pdf_text(_get_pdf(staff, order, "commercial-invoice.pdf"))
    packing = pdf_text(_get_pdf(staff, order, "packing-list.pdf"))
    _assert_withheld(buyer, order, ["commercial-invoice.pdf", "packing-list.pdf"])
    for text in (invoice, packing):
        assert "1006.30" in text and "MSCU1234565" in text and "VN2026001" in text
        assert "Cai Mep, Vietnam" in text and "Hamburg, Germany" in text
        assert "20000 kg" in text and "20240 kg" in text and "800 PP bags of 25 kg" in text
    assert "COMMERCIAL INVOICE" in invoice and "16,600.00 USD" in invoice
    assert "PACKING LIST" in packing and "HTX/HAMBURG/1-800" in packing

    fake = staff.post(
        f"/api/v1/orders/{order.code}/transport-document/",
        {"kind": "BL", "file": upload("bl.pdf", b"<html>no</html>", "application/pdf")},
        format="multipart",
    )
    assert fake.status_code == 400 and fake.json()["code"] == "unsupported_file_type"
    assert Installment.objects.get(order=order, sequence=2).due_date is None
    bl = staff.post(
        f"/api/v1/orders/{order.code}/transport-document/",
        {"kind": "BL", "file": upload("bl.pdf")},
        format="multipart",
    )
    assert bl.status_code == 201 and bl.json()["transport_document"] == "BL"
    assert bl.json()["installments"][1]["state"] == "DUE"
    got = staff.get(f"/api/v1/orders/{order.code}/transport-document/")
    assert b"".join(got.streaming_content) == PDF_BYTES
    _assert_withheld(buyer, order, [*WITHHELD])
    admin = client_for(trade["admin"])
    for path in WITHHELD:  # the cooperative's staff and admins always have them
        assert staff.get(f"/api/v1/orders/{order.code}/{path}").status_code == 200, path
        assert admin.get(f"/api/v1/orders/{order.code}/{path}").status_code == 200, path
    assert buyer.get(f"/api/v1/orders/{order.code}/proforma.pdf").status_code == 200

    paid = _wire(trade, order, 2, "11620", "FT9")

    assert paid.json()["payment_status"] == "PAID" and paid.json()["documents_released_at"]
    got = buyer.get(f"/api/v1/orders/{order.code}/transport-document/")
    assert b"".join(got.streaming_content) == PDF_BYTES
    for path in WITHHELD:  # released: the buyer has every document
        assert buyer.get(f"/api/v1/orders/{order.code}/{path}").status_code == 200, path
    assert staff.post(f"/api/v1/orders/{order.code}/deliver/", {}).status_code == 200
    assert buyer.post(f"/api/v1/orders/{order.code}/complete/", {}).status_code == 200
    order.refresh_from_db()
    assert (order.status, order.payment_status, order.amount_paid_vnd) == (
        "COMPLETED",
        "PAID",
        order.total_vnd,
    )


# The documents the buyer gets once the schedule is paid (the proforma, always).
WITHHELD = [
    "commercial-invoice.pdf", "packing-list.pdf", "transport-document/", "invoice.pdf",
    "packing-slip.pdf",
]  # fmt: skip


def _assert_withheld(client, order, paths: list[str]) -> None:
    """Each of `paths` is refused with documents_withheld, saying what is owed; nothing changes."""
    before = (
        list(Order.objects.values_list("pk", "status", "payment_status", "amount_paid_vnd")),
        list(Installment.objects.values_list("pk", "amount_paid")),
        OrderEvent.objects.count(),
        ExportTerms.objects.get(order=order).documents_released_at,
    )
    for path in paths:
        r = client.get(f"/api/v1/orders/{order.code}/{path}", HTTP_ACCEPT_LANGUAGE="en")
        assert r.status_code == 409, (path, r.status_code)
        assert r["Content-Type"] == "application/json" and not r.streaming, path
        body = r.json()
        assert body["code"] == "documents_withheld", path
        assert "11620.00 USD is still owed" in body["message"], body
        assert body["fields"]["document"] == path.removesuffix("/").removesuffix(".pdf")
    after = (
        list(Order.objects.values_list("pk", "status", "payment_status", "amount_paid_vnd")),
        list(Installment.objects.values_list("pk", "amount_paid")),
        OrderEvent.objects.count(),
        ExportTerms.objects.get(order=order).documents_released_at,
    )
    assert after == before


def _get_pdf(client, order, name) -> bytes:
    from orders import export_documents

    r = client.get(f"/api/v1/orders/{order.code}/{name}")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    builder = {
        "commercial-invoice.pdf": export_documents.commercial_invoice_pdf,
        "packing-list.pdf": export_documents.packing_list_pdf,
    }[name]
    return builder(Order.objects.get(pk=order.pk), compress=False)


def test_overdue_installment_is_shown_plainly(trade, order):
    Installment.objects.filter(order=order, sequence=1).update(
        due_date=timezone.localdate() - datetime.timedelta(days=1)
    )

    r = client_for(trade["buyer"]).get(f"/api/v1/orders/{order.code}/export/")
    mine = client_for(trade["staff"]).get(f"/api/v1/orders/{order.code}/export/")

    assert [i["state"] for i in r.json()["installments"]] == ["OVERDUE", "SCHEDULED"]
    assert mine.json()["installments"][0]["state"] == "OVERDUE"
    from django.test import Client

    for user in (trade["buyer"], trade["staff"]):  # the page says it plainly to both sides
        page = Client()
        page.force_login(user)
        html = page.get(f"/export/{order.code}/").content.decode()
        assert 'data-state="OVERDUE">Quá hạn</span>' in html


ACTORS = ["anonymous", "buyer", "other_buyer", "staff", "other_staff", "admin"]
ORDER_CASES = [
    ("export", "get", "export/", None, (401, 200, 404, 200, 404, 200)),
    ("proforma", "get", "proforma.pdf", None, (401, 200, 404, 200, 404, 200)),
    ("invoice", "get", "commercial-invoice.pdf", None, (401, 404, 404, 404, 404, 404)),
    ("packing", "get", "packing-list.pdf", None, (401, 404, 404, 404, 404, 404)),
    ("wire", "post", "installments/{inst}/wire/", {"amount": "10", "bank_reference": "X1"},
     (401, 403, 404, 200, 404, 200)),
    ("card", "post", "installments/{inst}/card/", {}, (401, 502, 404, 403, 404, 403)),
    ("shipment", "post", "shipment/", SHIPMENT, (401, 403, 404, 400, 404, 400)),
    ("bl", "get", "transport-document/", None, (401, 404, 404, 404, 404, 404)),
]  # fmt: skip


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("case", ORDER_CASES, ids=[c[0] for c in ORDER_CASES])
def test_export_order_endpoint_permission_matrix(trade, order, case, actor):
    name, method, path, body, expected = case
    url = f"/api/v1/orders/{order.code}/" + path.format(inst=order.installments.first().pk)
    before = (
        list(Installment.objects.values_list("pk", "amount_paid")),
        list(Order.objects.values_list("pk", "status", "payment_status")),
    )

    c = client_for(trade[actor])
    r = c.get(url) if method == "get" else c.post(url, body, format="json")

    assert r.status_code == dict(zip(ACTORS, expected, strict=True))[actor], (name, r.content[:200])
    if r.status_code >= 400:
        assert (
            list(Installment.objects.values_list("pk", "amount_paid")),
            list(Order.objects.values_list("pk", "status", "payment_status")),
        ) == before


# --- rates ---


def test_rates_command_loads_a_csv_and_quotes_store_the_rate_in_force(trade, tmp_path):
    good = tmp_path / "rates.csv"
    good.write_text(
        "date,currency,rate_vnd,source\n"
        f"{timezone.localdate() - datetime.timedelta(days=1)},USD,25350,VCB\n"
        f'{timezone.localdate()},USD,"25,410",VCB\n'
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("date,currency,rate_vnd,source\n2026-13-01,EUR,abc,\n")

    call_command("rates_load", str(good))
    with pytest.raises(CommandError):
        call_command("rates_load", str(bad))

    assert list(ExchangeRate.objects.order_by("date").values_list("rate_vnd", flat=True)) == [
        Decimal("25350"),
        Decimal("25410"),
    ]
    quote = give_quote(trade, post_rfq(trade))
    assert (quote.usd_vnd_rate, quote.rate_date, quote.rate_source) == (
        Decimal("25410"),
        timezone.localdate(),
        "VCB",
    )


def test_admin_adds_a_rate_and_others_cannot(trade):
    body = {"date": "2026-12-01", "rate_vnd": "25400", "source": "SBV"}

    denied = client_for(trade["staff"]).post("/api/v1/rates/", body, format="json")
    made = client_for(trade["admin"]).post("/api/v1/rates/", body, format="json")
    bad = client_for(trade["admin"]).post(
        "/api/v1/rates/", {**body, "rate_vnd": "0"}, format="json"
    )

    assert denied.status_code == 403 and made.status_code == 201
    assert bad.status_code == 400 and bad.json()["code"] == "rates_invalid"
    assert ExchangeRate.objects.get().rate_vnd == Decimal("25400")
    assert client_for(None).get("/api/v1/rates/").json()["in_force"]["source"] == "SBV"


def test_admin_pages_of_the_rate_table_and_rfqs_open(trade, order):
    from django.test import Client

    admin = Client()
    admin.force_login(UserFactory(is_staff=True, is_superuser=True))

    pages = [
        "/admin/orders/exchangerate/",
        "/admin/orders/exchangerate/add/",
        "/admin/orders/exportterms/",
        "/admin/orders/installmentreceipt/",
        "/admin/quotes/rfq/",
        f"/admin/quotes/rfq/{order.quote.rfq_id}/change/",
        "/admin/quotes/quote/",
        f"/admin/quotes/quote/{order.quote.pk}/change/",
        "/admin/quotes/rfqmessage/",
    ]

    assert {p: admin.get(p).status_code for p in pages} == dict.fromkeys(pages, 200)


@pytest.mark.parametrize("actor", ACTORS)
def test_rates_and_transport_document_upload_permission_matrix(trade, order, actor):
    from orders.models import ExportTerms

    Order.objects.filter(pk=order.pk).update(status="SHIPPED")
    before = (ExchangeRate.objects.count(), ExportTerms.objects.get(order=order).transport_document)
    c = client_for(trade[actor])

    rates_get = c.get("/api/v1/rates/")
    rates_post = c.post(
        "/api/v1/rates/",
        {"date": "2026-12-02", "rate_vnd": "25500", "source": "SBV"},
        format="json",
    )
    upload_bl = c.post(
        f"/api/v1/orders/{order.code}/transport-document/",
        {"kind": "BL", "file": upload("bl.pdf")},
        format="multipart",
    )

    expected = {
        "anonymous": (200, 401, 401),
        "buyer": (200, 403, 403),
        "other_buyer": (200, 403, 404),
        "staff": (200, 403, 201),
        "other_staff": (200, 403, 404),
        "admin": (200, 201, 201),
    }[actor]
    assert (rates_get.status_code, rates_post.status_code, upload_bl.status_code) == expected
    after = (ExchangeRate.objects.count(), ExportTerms.objects.get(order=order).transport_document)
    if rates_post.status_code != 201:
        assert after[0] == before[0]
    if upload_bl.status_code != 201:
        assert after[1] == before[1]


def test_an_export_order_with_money_received_is_not_expired_and_a_cancel_gives_it_back(
    trade, order
):
    from orders.models import Refund
    from orders.services.transitions import order_expire_unpaid

    _wire(trade, order, 1, "1000", "FT-PART")  # part of the deposit: still PLACED and UNPAID
    Order.objects.filter(pk=order.pk).update(
        reserved_until=timezone.now() - datetime.timedelta(days=1)
    )
    before = Order.objects.values_list("status", "payment_status", "amount_paid_vnd").get()

    expired, _checked = order_expire_unpaid()

    assert expired == 0  # money was received: the unpaid-order expiry leaves it alone
    assert Order.objects.values_list("status", "payment_status", "amount_paid_vnd").get() == before

    r = client_for(trade["staff"]).post(
        f"/api/v1/orders/{order.code}/cancel/", {"reason": "no stock"}, format="json"
    )

    assert r.status_code == 200, r.content
    (refund,) = Refund.objects.filter(order=order)
    paid = before[2]
    assert (refund.payment.provider, refund.amount_vnd, refund.status) == (
        "bank_transfer",
        paid,
        "PENDING",
    )
    assert Order.objects.values_list("status", "payment_status").get() == ("CANCELLED", "UNPAID")


@pytest.mark.parametrize("body", [[SHIPMENT], "MSCU1234565", 800])
def test_a_shipment_that_is_not_an_object_is_refused_and_changes_nothing(trade, order, body):
    staff = client_for(trade["staff"])
    _wire(trade, order, 1, "4980", "FT1")
    assert staff.post(f"/api/v1/orders/{order.code}/pack/", {}).status_code == 200

    response = staff.post(f"/api/v1/orders/{order.code}/shipment/", body, format="json")

    assert response.status_code == 400 and response.json()["code"] == "shipment_invalid"
    order.refresh_from_db()
    order.export.refresh_from_db()
    assert order.status == Order.Status.PACKED
    assert order.export.container_number == "" and order.export.shipped_on is None
