"""The export trade story in a real browser (Chromium, English, 1280 px; the cooperative that
wins works at 360 px), against stripe-mock for the card deposit:

1. an importer posts an open RFQ for 20 t of ST25 rice, FOB Cái Mép, 30% deposit;
2. two cooperatives quote, one revises;
3. the importer compares, accepts one and downloads the proforma PDF;
4. the importer pays the deposit by card (PaymentIntent on stripe-mock);
5. the cooperative packs, ships and issues the commercial invoice and packing list;
6. the balance is paid by wire and confirmed;
7. the order completes.

js.stripe.com cannot be reached from here: the browser side of Stripe is a stand-in served at the
network boundary that, like Stripe after a successful payment, sends the buyer to the return URL;
Stripe's webhook is then delivered signed, as Stripe would. The PaymentIntent is real (stripe-mock).
"""

import datetime
import json
import os
import re
import zlib
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from market.models import BuyerProfile
from orders.models import Installment, InstallmentReceipt, Order, Payment
from quotes.models import Quote, QuoteRevision, Rfq
from tests.factories.catalog import CategoryFactory, ProductFactory
from tests.factories.market import CooperativeFactory, MembershipFactory, UserFactory
from tests.factories.stripe import sign
from tests.pdf import pdf_text

pytestmark = [pytest.mark.browser, pytest.mark.stripe_mock, pytest.mark.slow]
PASSWORD = "mat-khau-123"  # UserFactory's
SECRET = "whsec_test_secret"
FAKE_STRIPE_JS = """
window.Stripe = function () {
  return {
    elements: function () { return {create: function () { return {mount: function () {}}; }}; },
    confirmPayment: function (o) {
      window.location.href = o.confirmParams.return_url + "?redirect_status=succeeded";
      return new Promise(function () {});
    }
  };
};
"""


def inflated_text(pdf: bytes) -> str:
    """The text of a compressed fpdf2 PDF: inflate every stream, then read it as uncompressed."""

    def inflate(m):
        try:
            data = zlib.decompress(m.group(1))
        except zlib.error:  # a stream that was not compressed
            data = m.group(1)
        return b"stream\n" + data + b"\nendstream"

    raw = re.sub(rb"/Filter /FlateDecode", b"", pdf)
    raw = re.sub(rb"stream\r?\n(.*?)\r?\nendstream", inflate, raw, flags=re.S)
    return pdf_text(raw)


class Person:
    def __init__(self, chromium, base_url, name, width=1280):
        self.context = chromium.new_context(
            viewport={"width": width, "height": 900}, locale="en-US", accept_downloads=True
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.base, self.name, self.width = base_url, name, width

    def go(self, path):
        self.page.goto(self.base + path)
        return self.page

    def login(self, email):
        self.go("/login/")
        self.page.fill("#id_username", email)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("main button[type=submit]")
        self.page.wait_for_load_state()

    def fits(self) -> bool:
        return self.page.evaluate("document.documentElement.scrollWidth") <= self.width

    def download(self, link_name) -> bytes:
        with self.page.expect_download() as info:
            self.page.get_by_role("link", name=link_name).first.click()
        return open(info.value.path(), "rb").read()


@pytest.fixture
def market(units, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_123"
    settings.STRIPE_API_BASE = os.environ["STRIPE_MOCK_URL"]
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    settings.LANGUAGE_CODE = "en"
    rice = CategoryFactory(slug="gao-thom-story", name_vi="Gạo thơm", name_en="Fragrant rice")
    people = {}
    for key, name in (("a", "Soc Trang ST25 Rice Cooperative"), ("b", "An Giang Rice Cooperative")):
        coop = CooperativeFactory(verified=True, legal_name=name, bank_bin="970436")
        ProductFactory(
            cooperative=coop,
            category=rice,
            name_en=f"ST25 fragrant rice ({key})",
            hs_code="1006.30",
        )
        staff = MembershipFactory(cooperative=coop, role="OWNER", user__language="en").user
        people[key] = (coop, staff)
    importer = UserFactory(email="anna@hamburg-rice.example", language="en")
    BuyerProfile.objects.create(
        user=importer, kind="COMPANY", company_name="Hamburg Rice Import GmbH", country="DE"
    )
    return {"rice": rice, "importer": importer, **people}


def _quote(person, rfq, price, *, revise=False):
    page = person.go(f"/rfq/{rfq.pk}/")
    page.fill("#q-price", price)
    page.select_option("#q-cur", "USD")
    page.fill("#q-moq", "10")
    page.fill("#q-dep", "30")
    page.get_by_role(
        "button", name="Send the revised quote" if revise else "Send the quote"
    ).click()
    page.wait_for_load_state()


def test_export_rfq_story(chromium, live_server, market):
    importer = Person(chromium, live_server.url, "importer")
    coop_a = Person(chromium, live_server.url, "coop-a", width=360)
    coop_b = Person(chromium, live_server.url, "coop-b")
    importer.login(market["importer"].email)
    coop_a.login(market["a"][1].email)
    coop_b.login(market["b"][1].email)

    # 1. The importer posts an open RFQ.
    page = importer.go("/rfq/new/")
    page.fill("#f-title", "ST25 fragrant rice, 20 t FOB Cái Mép")
    page.select_option("#f-category", str(market["rice"].pk))
    page.fill("#f-qty", "20")
    page.select_option("#f-unit", "TAN")
    page.select_option("#f-inco", "FOB")
    page.fill("#f-place", "Cái Mép")
    page.fill("#f-country", "DE")
    page.fill("#f-target", "820")
    page.fill("#f-from", (timezone.localdate() + datetime.timedelta(days=30)).isoformat())
    page.fill("#f-to", (timezone.localdate() + datetime.timedelta(days=60)).isoformat())
    page.fill("#f-close", (timezone.localdate() + datetime.timedelta(days=7)).isoformat())
    page.get_by_role("button", name="Post the request").click()
    page.wait_for_url(re.compile(r"/rfq/\d+/$"))
    rfq = Rfq.objects.get()

    # 2. Two cooperatives quote (30% deposit); the first, on its phone, revises.
    _quote(coop_a, rfq, "830")
    a_fits = coop_a.fits()
    _quote(coop_b, rfq, "845")
    _quote(coop_a, rfq, "815", revise=True)

    # 3. The importer compares, accepts the cheaper quote and downloads the proforma.
    page = importer.go(f"/rfq/{rfq.pk}/?currency=USD")
    table = page.locator("#comparison").inner_text()
    page.get_by_role("button", name=f"Accept {market['a'][0].display_name}").click()
    page.wait_for_load_state()
    proforma = inflated_text(importer.download("Proforma invoice (PDF)"))
    order = Order.objects.get()

    # 4. The deposit by card: a PaymentIntent on stripe-mock, Stripe's webhook marks it paid.
    page = importer.go(f"/export/{order.code}/")
    page.route(
        "https://js.stripe.com/**",
        lambda route: route.fulfill(
            status=200, content_type="application/javascript", body=FAKE_STRIPE_JS
        ),
    )
    page.get_by_role("link", name="Pay by card Deposit").click()
    page.locator("#card-submit").click()
    page.wait_for_url(re.compile(r"redirect_status=succeeded"))
    payment = Payment.objects.get(installment__sequence=1)
    body = json.dumps(
        {
            "id": "evt_story_deposit",
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {
                "object": {
                    "id": payment.provider_id,
                    "object": "payment_intent",
                    "amount": payment.stripe_amount,
                    "currency": "usd",
                    "metadata": {
                        "installment_id": str(payment.installment.pk),
                        "payment_id": str(payment.pk),
                    },
                }
            },
        }
    ).encode()
    hook = Client().post(
        "/api/v1/payments/stripe/webhook",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(body, SECRET),
    )
    deposit_state = (
        importer.go(f"/export/{order.code}/")
        .locator("#installment-1 .badge")
        .get_attribute("data-state")
    )

    # 5. The cooperative (360 px) packs, ships with the shipment data, uploads the B/L.
    page = coop_a.go(f"/export/{order.code}/")
    page.get_by_role("button", name="Mark as packed").click()
    page.wait_for_load_state()
    for field, value in {
        "#s-pol": "Cai Mep, Vietnam",
        "#s-pod": "Hamburg, Germany",
        "#s-vessel": "MSC Anna V.026E",
        "#s-cont": "MSCU1234565",
        "#s-seal": "VN2026001",
        "#s-pkgs": "800",
        "#s-kind": "PP bags of 25 kg",
        "#s-net": "20000",
        "#s-gross": "20240",
        "#s-marks": "HTX/HAMBURG/1-800",
    }.items():
        page.fill(field, value)
    page.get_by_role("button", name="Ship and issue the documents").click()
    page.wait_for_load_state()
    invoice = inflated_text(coop_a.download("Commercial invoice (PDF)"))
    packing = inflated_text(coop_a.download("Packing list (PDF)"))
    page.set_input_files(
        "#d-file",
        files=[{"name": "BL.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}],
    )
    page.get_by_role("button", name="Upload").click()
    page.wait_for_load_state()
    shipped_fits = coop_a.fits()

    # 6. The balance arrives by wire; the cooperative records it with the bank reference.
    balance = Installment.objects.get(order=order, sequence=2)
    page = coop_a.go(f"/export/{order.code}/")
    page.locator("#installment-2 summary").click()
    page.fill(f"#w-ref-{balance.pk}", "FT26341HAMBURG")
    page.get_by_role("button", name="Record the wire").click()
    page.wait_for_load_state()

    # 7. Delivered, and the importer completes the order.
    coop_a.page.get_by_role("button", name="Mark as delivered").click()
    coop_a.page.wait_for_load_state()
    page = importer.go(f"/export/{order.code}/")
    bl = importer.download("Bill of lading")
    page.get_by_role("button", name="I received the goods").click()
    page.wait_for_load_state()

    order.refresh_from_db()
    assert rfq.title in Rfq.objects.get().title and Rfq.objects.get().status == "AWARDED"
    assert QuoteRevision.objects.filter(quote__cooperative=market["a"][0]).count() == 2
    assert sorted(Quote.objects.values_list("status", flat=True)) == ["ACCEPTED", "DECLINED"]
    assert "0.82 USD" in table and "16300.00 USD (20)" in table and "0.84 USD" in table
    assert "PROFORMA INVOICE" in proforma and "1006.30" in proforma and "FOB Cái Mép" in proforma
    assert "SWIFT: BFTVVNVX" in proforma and "Deposit 30%: 4,890.00 USD" in proforma
    assert hook.status_code == 200 and deposit_state == "PAID"
    assert "COMMERCIAL INVOICE" in invoice and "MSCU1234565" in invoice and "20240 kg" in invoice
    assert "PACKING LIST" in packing and "800 PP bags of 25 kg" in packing
    assert bl.startswith(b"%PDF")
    assert (order.status, order.payment_status, order.amount_paid_vnd) == (
        "COMPLETED",
        "PAID",
        order.total_vnd,
    )
    assert sorted(InstallmentReceipt.objects.values_list("method", flat=True)) == ["stripe", "wire"]
    assert order.export.documents_released_at is not None
    assert Decimal(order.export.total) == Decimal("16300.00")
    assert a_fits and shipped_fits  # the cooperative's pages fit a 360 px phone
