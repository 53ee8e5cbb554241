"""RFQ API: posting, matching, quoting and revising, comparison, acceptance into an export order,
threads with attachments, closing; bad input answered with a specific 4xx and nothing changed."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from orders.models import Installment, Order
from quotes.models import Quote, QuoteRevision, Rfq, RfqMessage
from tests.conftest import client_for
from tests.factories.market import PDF_BYTES, upload
from tests.factories.quotes import give_quote, post_rfq, quote_data, rfq_data

pytestmark = pytest.mark.django_db


def _json(data: dict) -> dict:
    return {k: (str(v) if isinstance(v, (Decimal, datetime.date)) else v) for k, v in data.items()}


def _counts():
    return (
        Rfq.objects.count(),
        Quote.objects.count(),
        QuoteRevision.objects.count(),
        Order.objects.count(),
        RfqMessage.objects.count(),
    )


# --- posting and matching ---


def test_buyer_posts_open_rfq_and_matching_cooperatives_are_told(
    trade, django_capture_on_commit_callbacks
):
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        r = client_for(trade["buyer"]).post("/api/v1/rfqs/", _json(rfq_data(trade)), format="json")

    assert r.status_code == 201, r.content
    assert r.json()["code"].startswith("RFQ-") and r.json()["status"] == "OPEN"
    told = {m.to[0] for m in mail.outbox}
    assert told == {trade["staff"].email, trade["other_staff"].email}  # not the coffee coop


def test_request_a_quote_on_a_product_goes_to_its_cooperative_only(
    trade, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    data = _json(rfq_data(trade, product_id=trade["product"].pk, direct=True))
    data.pop("category_id")

    with django_capture_on_commit_callbacks(execute=True):
        r = client_for(trade["buyer"]).post("/api/v1/rfqs/", data, format="json")

    assert r.status_code == 201, r.content
    assert r.json()["cooperative"] == trade["coop"].pk
    assert {m.to[0] for m in mail.outbox} == {trade["staff"].email}
    other = client_for(trade["other_staff"]).get(f"/api/v1/rfqs/{r.json()['id']}/")
    assert other.status_code == 404


def test_certifications_narrow_the_cooperatives_an_open_rfq_is_shown_to(trade):
    from tests.factories.catalog import CertificationFactory

    CertificationFactory(cooperative=trade["coop"], kind="GLOBALGAP", status="VERIFIED")
    rfq = post_rfq(trade, certifications=["GLOBALGAP"])

    mine = client_for(trade["staff"]).get(f"/api/v1/rfqs/{rfq.pk}/")
    theirs = client_for(trade["other_staff"]).get(f"/api/v1/rfqs/{rfq.pk}/")

    assert mine.status_code == 200 and theirs.status_code == 404


@pytest.mark.parametrize(
    "change, code",
    [
        ({"incoterm": "FOO"}, "incoterm_invalid"),
        ({"target_currency": "EUR"}, "currency_unsupported"),
        ({"destination_country": "VN"}, "validation_failed"),
        ({"closes_at": "2020-01-01T00:00:00Z"}, "validation_failed"),
        ({"unit": "BARREL"}, "validation_failed"),
    ],
)
def test_bad_rfq_is_refused_and_nothing_is_written(trade, change, code):
    before = _counts()

    r = client_for(trade["buyer"]).post(
        "/api/v1/rfqs/", {**_json(rfq_data(trade)), **change}, format="json"
    )

    assert r.status_code == 400 and r.json()["code"] == code, r.content
    assert _counts() == before


def test_a_private_buyer_cannot_post_an_rfq(trade):
    from tests.factories.market import UserFactory

    r = client_for(UserFactory()).post("/api/v1/rfqs/", _json(rfq_data(trade)), format="json")

    assert r.status_code == 403 and r.json()["code"] == "company_buyer_required"
    assert Rfq.objects.count() == 0


# --- quotes ---


def test_cooperative_quotes_and_revises_and_every_revision_is_kept(trade):
    rfq = post_rfq(trade)
    staff = client_for(trade["staff"])
    url = f"/api/v1/rfqs/{rfq.pk}/quotes/"

    first = staff.post(url, _json(quote_data(trade["product"])), format="json")
    second = staff.post(url, _json(quote_data(trade["product"], unit_price="815")), format="json")

    assert first.status_code == 201 and second.status_code == 201, second.content
    assert second.json()["id"] == first.json()["id"] and second.json()["revision"] == 2
    assert second.json()["unit_price"] == "815.00" and second.json()["usd_vnd_rate"]
    revs = staff.get(f"{url}{first.json()['id']}/revisions/").json()
    assert [(r["number"], r["terms"]["unit_price"]) for r in revs] == [(1, "830.00"), (2, "815.00")]


def test_a_cooperative_never_sees_a_competitors_quote(trade):
    rfq = post_rfq(trade)
    give_quote(trade, rfq)
    give_quote(trade, rfq, other=True, unit_price=Decimal("800"))

    mine = client_for(trade["staff"]).get(f"/api/v1/rfqs/{rfq.pk}/quotes/").json()
    buyer = client_for(trade["buyer"]).get(f"/api/v1/rfqs/{rfq.pk}/quotes/").json()
    compare = client_for(trade["staff"]).get(f"/api/v1/rfqs/{rfq.pk}/quotes/compare/")

    assert [q["cooperative"] for q in mine] == [trade["coop"].pk]
    assert len(buyer) == 2
    assert compare.status_code == 404


@pytest.mark.parametrize(
    "change, status, code",
    [
        ({"incoterm": "XYZ"}, 400, "incoterm_invalid"),
        ({"deposit_percent": "101"}, 400, "deposit_percent_invalid"),
        ({"deposit_percent": "-1"}, 400, "deposit_percent_invalid"),
        ({"currency": "EUR"}, 400, "currency_unsupported"),
        ({"moq": "30"}, 400, "validation_failed"),
        ({"valid_until": "2020-01-01"}, 400, "validation_failed"),
    ],
)
def test_bad_quote_is_refused_and_nothing_is_written(trade, change, status, code):
    rfq = post_rfq(trade)
    before = _counts()

    r = client_for(trade["staff"]).post(
        f"/api/v1/rfqs/{rfq.pk}/quotes/",
        {**_json(quote_data(trade["product"])), **change},
        format="json",
    )

    assert r.status_code == status and r.json()["code"] == code, r.content
    assert _counts() == before


def test_a_quote_after_the_closing_date_is_refused(trade):
    rfq = post_rfq(trade)
    quote = give_quote(trade, rfq)
    Rfq.objects.filter(pk=rfq.pk).update(closes_at=timezone.now() - datetime.timedelta(minutes=1))
    before = _counts()

    r = client_for(trade["staff"]).post(
        f"/api/v1/rfqs/{rfq.pk}/quotes/",
        _json(quote_data(trade["product"], unit_price="700")),
        format="json",
    )

    assert r.status_code == 409 and r.json()["code"] == "rfq_closed"
    assert _counts() == before
    quote.refresh_from_db()
    assert quote.unit_price == Decimal("830") and quote.revision == 1


def test_comparison_is_in_one_currency_per_base_unit_and_total(trade):
    from orders.models import ExchangeRate

    ExchangeRate.objects.create(date=timezone.localdate(), rate_vnd=25000, source="test")
    rfq = post_rfq(trade)
    give_quote(trade, rfq, unit_price=Decimal("830"))
    give_quote(trade, rfq, other=True, currency="VND", unit_price=Decimal("20000000"))

    r = client_for(trade["buyer"]).get(f"/api/v1/rfqs/{rfq.pk}/quotes/compare/?currency=USD")

    body = r.json()
    assert body["currency"] == "USD" and body["base_unit"] == "KG"
    rows = {q["cooperative"]: q for q in body["quotes"]}
    vnd = rows[trade["other_coop"].display_name]
    assert Decimal(vnd["unit_price"]) == Decimal("800.00")  # 20,000,000 / 25,000 per tonne
    assert Decimal(vnd["price_per_base_unit"]) == Decimal("0.80")  # per kg
    assert Decimal(vnd["total"]) == Decimal("16000.00")
    assert Decimal(rows[trade["coop"].display_name]["total"]) == Decimal("16600.00")
    assert body["quotes"][0]["cooperative"] == trade["other_coop"].display_name  # cheapest first
    bad = client_for(trade["buyer"]).get(f"/api/v1/rfqs/{rfq.pk}/quotes/compare/?currency=EUR")
    assert bad.status_code == 400 and bad.json()["code"] == "currency_unsupported"


# --- acceptance ---


def _accept(trade, rfq, quote, user=None, **body):
    return client_for(user or trade["buyer"]).post(
        f"/api/v1/rfqs/{rfq.pk}/quotes/{quote.pk}/accept/", _json(body), format="json"
    )


def test_accepting_a_quote_creates_the_order_and_declines_the_others(
    trade, django_capture_on_commit_callbacks
):
    rfq = post_rfq(trade)
    winner = give_quote(trade, rfq, deposit_percent=Decimal("30"))
    loser = give_quote(trade, rfq, other=True)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        r = _accept(trade, rfq, winner)

    assert r.status_code == 200, r.content
    order = Order.objects.get(code=r.json()["order_code"])
    assert (order.cooperative, order.buyer, order.payment_method) == (
        trade["coop"],
        trade["buyer"],
        "installments",
    )
    terms = order.export
    assert (terms.currency, terms.unit_price, terms.total) == (
        "USD",
        Decimal("830"),
        Decimal("16600"),
    )
    assert (terms.incoterm, terms.named_place) == ("FOB", "Cái Mép")
    assert terms.usd_vnd_rate == winner.usd_vnd_rate
    assert order.total_vnd == int(Decimal("16600") * winner.usd_vnd_rate)
    schedule = [(i.kind, i.amount) for i in Installment.objects.filter(order=order)]
    assert schedule == [("DEPOSIT", Decimal("4980.00")), ("BALANCE", Decimal("11620.00"))]
    loser.refresh_from_db()
    rfq.refresh_from_db()
    assert loser.status == "DECLINED" and rfq.status == "AWARDED"
    told = {m.to[0]: m.subject for m in mail.outbox}  # each in the staff's language (vi)
    assert told[trade["other_staff"].email] == f"Báo giá của bạn cho {rfq.code} không được chọn"
    assert told[trade["staff"].email] == f"Báo giá của bạn cho {rfq.code} đã được chấp nhận"


def test_accepting_twice_returns_the_same_order(trade):
    rfq = post_rfq(trade)
    quote = give_quote(trade, rfq)

    first = _accept(trade, rfq, quote)
    second = _accept(trade, rfq, quote)

    assert first.status_code == second.status_code == 200
    assert first.json()["order_code"] == second.json()["order_code"]
    assert Order.objects.count() == 1


def test_accepting_expired_withdrawn_or_second_quote_is_refused(trade):
    rfq = post_rfq(trade)
    expired = give_quote(trade, rfq)
    Quote.objects.filter(pk=expired.pk).update(
        valid_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    withdrawn = give_quote(trade, rfq, other=True)
    client_for(trade["other_staff"]).post(f"/api/v1/rfqs/{rfq.pk}/quotes/{withdrawn.pk}/withdraw/")

    r1 = _accept(trade, rfq, expired)
    r2 = _accept(trade, rfq, withdrawn)

    assert r1.status_code == 409 and r1.json()["code"] == "quote_expired"
    assert r2.status_code == 409 and r2.json()["code"] == "quote_withdrawn"
    assert Order.objects.count() == 0
    assert Rfq.objects.get(pk=rfq.pk).status == "OPEN"


def test_accepting_below_the_moq_is_refused(trade):
    rfq = post_rfq(trade)
    quote = give_quote(trade, rfq, moq=Decimal("10"))

    r = _accept(trade, rfq, quote, quantity="5")

    assert r.status_code == 400 and r.json()["code"] == "below_moq"
    assert Order.objects.count() == 0 and Quote.objects.get(pk=quote.pk).status == "SUBMITTED"


def test_a_second_quote_cannot_be_accepted_once_one_was(trade):
    rfq = post_rfq(trade)
    first, second = give_quote(trade, rfq), give_quote(trade, rfq, other=True)
    _accept(trade, rfq, first)

    r = _accept(trade, rfq, second)

    assert r.status_code == 409 and r.json()["code"] in ("rfq_awarded", "quote_not_acceptable")
    assert Order.objects.count() == 1


# --- closing ---


def test_buyer_closes_early_and_then_no_quote_or_revision_is_taken(trade):
    rfq = post_rfq(trade)
    give_quote(trade, rfq)

    r = client_for(trade["buyer"]).post(f"/api/v1/rfqs/{rfq.pk}/close/")
    revised = client_for(trade["staff"]).post(
        f"/api/v1/rfqs/{rfq.pk}/quotes/",
        _json(quote_data(trade["product"], unit_price="700")),
        format="json",
    )
    late = client_for(trade["other_staff"]).post(
        f"/api/v1/rfqs/{rfq.pk}/quotes/",
        _json(quote_data(trade["other_product"])),
        format="json",
    )

    assert r.status_code == 200 and r.json()["status"] == "CLOSED"
    assert revised.status_code == 409 and revised.json()["code"] == "rfq_closed"
    assert late.status_code == 404  # a closed open RFQ is no longer shown to new cooperatives
    assert Quote.objects.get().unit_price == Decimal("830") and QuoteRevision.objects.count() == 1


def test_rfqs_close_by_themselves_at_their_date(trade, capsys):
    due, later = post_rfq(trade), post_rfq(trade)
    Rfq.objects.filter(pk=due.pk).update(closes_at=timezone.now() - datetime.timedelta(seconds=1))

    call_command("rfqs_close_due")
    call_command("rfqs_close_due")

    assert Rfq.objects.get(pk=due.pk).status == "CLOSED"
    assert Rfq.objects.get(pk=later.pk).status == "OPEN"
    assert "closed 0 of 0" in capsys.readouterr().out.strip().splitlines()[-1]


# --- threads ---


def test_thread_with_attachment_is_private_to_the_buyer_and_that_cooperative(trade):
    rfq = post_rfq(trade)
    url = f"/api/v1/rfqs/{rfq.pk}/threads/{trade['coop'].pk}/messages/"

    posted = client_for(trade["staff"]).post(
        url, {"body": "Spec sheet attached", "file": upload("spec.pdf")}, format="multipart"
    )
    reply = client_for(trade["buyer"]).post(url, {"body": "Thanks"}, format="json")
    peek = client_for(trade["other_staff"]).get(url)
    listed = client_for(trade["buyer"]).get(url).json()
    file = client_for(trade["buyer"]).get(listed[0]["attachment"])

    assert posted.status_code == 201 and reply.status_code == 201, posted.content
    assert peek.status_code == 404
    assert [m["body"] for m in listed] == ["Spec sheet attached", "Thanks"]
    assert b"".join(file.streaming_content) == PDF_BYTES
    assert client_for(trade["other_staff"]).get(listed[0]["attachment"]).status_code == 404


def test_an_attachment_that_is_not_a_pdf_or_image_is_refused(trade):
    rfq = post_rfq(trade)
    url = f"/api/v1/rfqs/{rfq.pk}/threads/{trade['coop'].pk}/messages/"

    r = client_for(trade["staff"]).post(
        url,
        {"body": "x", "file": upload("spec.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")},
        format="multipart",
    )

    assert r.status_code == 400 and r.json()["code"] == "unsupported_file_type"
    assert RfqMessage.objects.count() == 0


# --- demand signal ---


def test_demand_signal_lists_open_rfqs_and_the_monthly_summary(trade):
    post_rfq(trade)
    post_rfq(trade, buyer=trade["other_buyer"], destination_country="JP", quantity=Decimal("5"))

    r = client_for(trade["staff"]).get(f"/api/v1/rfqs/demand/?cooperative={trade['coop'].pk}")
    peek = client_for(trade["other_staff"]).get(
        f"/api/v1/rfqs/demand/?cooperative={trade['coop'].pk}"
    )

    assert r.status_code == 200 and len(r.json()["open_rfqs"]) == 2
    summary = {(m["destination_country"], m["quantity"]) for m in r.json()["monthly"]}
    assert summary == {("DE", Decimal("20.000")), ("JP", Decimal("5.000"))}
    assert peek.status_code == 404


def test_the_beat_task_closes_rfqs_at_their_date(trade):
    from market.celery import app
    from quotes.tasks import rfqs_close_due

    due = post_rfq(trade)
    Rfq.objects.filter(pk=due.pk).update(closes_at=timezone.now() - datetime.timedelta(seconds=1))

    result = rfqs_close_due()

    assert result == {"closed": 1, "checked": 1}
    assert Rfq.objects.get(pk=due.pk).status == "CLOSED"
    assert app.conf.beat_schedule["rfqs-close-due"]["task"] == "quotes.rfqs_close_due"


def test_an_attachment_name_is_quoted_safely_in_the_download_header(trade):
    rfq = post_rfq(trade)
    url = f"/api/v1/rfqs/{rfq.pk}/threads/{trade['coop'].pk}/messages/"
    client_for(trade["staff"]).post(
        url, {"body": "x", "file": upload('spec "v2"; x=1.pdf')}, format="multipart"
    )

    listed = client_for(trade["buyer"]).get(url).json()
    r = client_for(trade["buyer"]).get(listed[0]["attachment"])

    assert r["Content-Disposition"] == 'attachment; filename="spec \\"v2\\"; x=1.pdf"'
