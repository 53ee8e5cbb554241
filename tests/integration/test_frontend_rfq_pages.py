"""The export trade pages: post an RFQ from a product page, quote and revise, compare and accept,
threads with attachments, demand signal, and the export order page with wire, shipment and
documents; USD shown as indicative to export buyers only. Strangers get 404."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from orders.models import ExchangeRate, Order
from quotes.models import Quote, Rfq, RfqMessage
from quotes.services import quote_accept
from tests.factories.market import UserFactory, upload
from tests.factories.quotes import give_quote, post_rfq

pytestmark = pytest.mark.django_db


def browser(user):
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def test_request_a_quote_from_the_product_page_goes_to_its_cooperative(trade):
    page = browser(trade["buyer"]).get(f"/san-pham/{trade['product'].pk}/{trade['product'].slug}/")
    product = trade["product"]
    link = f"/rfq/new/?family_id={product.family_id}&variant_id={product.pk}"
    assert link.replace("&", "&amp;") in page.content.decode()
    form = browser(trade["buyer"]).get(link)
    assert trade["coop"].display_name in form.content.decode()
    closes = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()

    r = browser(trade["buyer"]).post(
        "/rfq/new/",
        {
            "family_id": trade["product"].family_id,
            "variant_id": trade["product"].pk,
            "cooperative_id": trade["coop"].pk,
            "direct": "1",
            "title": "ST25 20 t",
            "quantity": "20",
            "unit": "TAN",
            "incoterm": "FOB",
            "named_place": "Cái Mép",
            "destination_country": "DE",
            "delivery_from": "2027-02-01",
            "delivery_to": "2027-03-01",
            "closes_on": closes,
        },
    )

    rfq = Rfq.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/rfq/{rfq.pk}/"
    assert rfq.cooperative == trade["coop"] and rfq.product == trade["product"]
    assert rfq.family == trade["product"].family


def test_bad_rfq_form_shows_the_message_and_writes_nothing(trade):
    r = browser(trade["buyer"]).post("/rfq/new/", {"title": "x", "incoterm": "FOO"})

    assert r.status_code == 400 and "Incoterm" in r.content.decode()
    assert Rfq.objects.count() == 0


def test_quote_revise_compare_accept_through_the_pages(trade):
    rfq = post_rfq(trade)
    give_quote(trade, rfq, other=True, unit_price=Decimal("850"))
    staff = browser(trade["staff"])
    body = {
        "cooperative_id": trade["coop"].pk,
        "product_id": trade["product"].pk,
        "unit_price": "840",
        "currency": "USD",
        "incoterm": "FOB",
        "named_place": "Cái Mép",
        "quantity": "20",
        "moq": "10",
        "lead_time_days": "30",
        "valid_until": (timezone.localdate() + datetime.timedelta(days=10)).isoformat(),
        "deposit_percent": "30",
        "balance_due": "AGAINST_BL_COPY",
    }

    assert staff.get(f"/rfq/{rfq.pk}/").status_code == 200
    staff.post(f"/rfq/{rfq.pk}/quote/", body)
    staff.post(f"/rfq/{rfq.pk}/quote/", {**body, "unit_price": "820"})
    mine = Quote.objects.get(cooperative=trade["coop"])
    assert (mine.revision, mine.unit_price) == (2, Decimal("820"))
    assert "850" not in staff.get(f"/rfq/{rfq.pk}/").content.decode()  # not a competitor's price

    page = browser(trade["buyer"]).get(f"/rfq/{rfq.pk}/?currency=USD").content.decode()
    assert 'id="comparison"' in page and "0.82 USD" in page and "16400.00 USD" in page
    r = browser(trade["buyer"]).post(f"/rfq/{rfq.pk}/quotes/{mine.pk}/accept/")

    order = Order.objects.get()
    assert r.status_code == 302 and Quote.objects.get(pk=mine.pk).status == "ACCEPTED"
    page = browser(trade["buyer"]).get(f"/rfq/{rfq.pk}/").content.decode()
    assert f"/export/{order.code}/proforma.pdf" in page
    pdf = browser(trade["buyer"]).get(f"/export/{order.code}/proforma.pdf")
    assert pdf["Content-Type"] == "application/pdf"


def test_thread_page_posts_a_message_with_attachment_and_strangers_get_404(trade):
    rfq = post_rfq(trade)
    url = f"/rfq/{rfq.pk}/messages/{trade['coop'].pk}/"

    r = browser(trade["buyer"]).post(url, {"body": "Send the spec", "file": upload("spec.pdf")})

    assert r.status_code == 302 and RfqMessage.objects.get().attachment_name == "spec.pdf"
    assert "Send the spec" in browser(trade["staff"]).get(url).content.decode()
    assert browser(trade["other_staff"]).get(url).status_code == 404
    assert browser(trade["other_buyer"]).get(f"/rfq/{rfq.pk}/").status_code == 404


def test_export_order_page_wire_shipment_and_documents(trade):
    rfq = post_rfq(trade)
    order = quote_accept(actor=trade["buyer"], quote_id=give_quote(trade, rfq).pk).order
    deposit = order.installments.get(sequence=1)
    staff, buyer = browser(trade["staff"]), browser(trade["buyer"])

    page = buyer.get(f"/export/{order.code}/").content.decode()
    assert f"{order.code}-1" in page and "SWIFT" in page and "VietQR" not in page
    staff.post(
        f"/export/{order.code}/installments/{deposit.pk}/wire/",
        {"amount": str(deposit.amount), "bank_reference": "FT123"},
    )
    staff.post(f"/export/{order.code}/move/", {"to": "PACKED"})
    staff.post(
        f"/export/{order.code}/shipment/",
        {
            "port_of_loading": "Cai Mep",
            "port_of_discharge": "Hamburg",
            "container_number": "MSCU1234565",
            "seal_number": "S1",
            "package_count": "800",
            "package_kind": "bags",
            "net_weight_kg": "20000",
            "gross_weight_kg": "20200",
            "marks": "HTX",
        },
    )
    staff.post(f"/export/{order.code}/document/", {"kind": "BL", "file": upload("bl.pdf")})

    order.refresh_from_db()
    assert order.status == "SHIPPED"
    # the deposit is paid, not the balance: the staff have the shipping documents, the buyer
    # the proforma and a word on when the others come
    page = staff.get(f"/export/{order.code}/").content.decode()
    assert "commercial-invoice.pdf" in page and "packing-list.pdf" in page
    assert staff.get(f"/export/{order.code}/transport-document").status_code == 200
    page = buyer.get(f"/export/{order.code}/").content.decode()
    assert "commercial-invoice.pdf" not in page and "packing-list.pdf" not in page
    assert "transport-document" not in page and "proforma.pdf" in page
    assert 'id="documents-withheld"' in page
    for path in ("commercial-invoice.pdf", "packing-list.pdf", "transport-document"):
        refused = buyer.get(f"/export/{order.code}/{path}")
        assert refused.status_code == 302 and refused["Location"] == f"/export/{order.code}/"
        assert "Content-Disposition" not in refused
    shown = buyer.get(f"/export/{order.code}/").content.decode()
    assert "Vận đơn, hóa đơn thương mại và phiếu đóng gói" in shown  # the flash, in Vietnamese
    assert buyer.get(f"/export/{order.code}/proforma.pdf").status_code == 200
    assert 'id="documents-withheld"' in buyer.get(f"/don-hang/{order.code}/").content.decode()

    balance = order.installments.get(sequence=2)
    staff.post(
        f"/export/{order.code}/installments/{balance.pk}/wire/",
        {"amount": str(balance.amount), "bank_reference": "FT124"},
    )
    page = buyer.get(f"/export/{order.code}/").content.decode()
    assert "commercial-invoice.pdf" in page and "packing-list.pdf" in page
    assert 'id="documents-withheld"' not in page
    assert buyer.get(f"/export/{order.code}/transport-document").status_code == 200
    assert buyer.get(f"/export/{order.code}/packing-list.pdf").status_code == 200
    assert 'id="documents-withheld"' not in buyer.get(f"/don-hang/{order.code}/").content.decode()
    assert browser(trade["other_staff"]).get(f"/export/{order.code}/").status_code == 404


def test_demand_page_for_the_cooperative_only(trade):
    post_rfq(trade)

    mine = browser(trade["staff"]).get(f"/htx/{trade['coop'].pk}/nhu-cau/")
    theirs = browser(trade["other_staff"]).get(f"/htx/{trade['coop'].pk}/nhu-cau/")

    assert mine.status_code == 200 and "ST25 fragrant rice, 20 t" in mine.content.decode()
    assert theirs.status_code == 404


def test_export_buyers_see_indicative_usd_prices_domestic_buyers_do_not(trade):
    ExchangeRate.objects.create(date=timezone.localdate(), rate_vnd=25_000, source="VCB")
    url = f"/san-pham/{trade['product'].pk}/{trade['product'].slug}/"  # 120,000 ₫ a kg

    abroad = browser(trade["buyer"]).get(url).content.decode()
    home = browser(UserFactory()).get(url).content.decode()

    assert "US$4.80" in abroad
    assert "US$" not in home
