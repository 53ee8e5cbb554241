"""Export checkout on the web pages (plain form posts, the no-JS path): a buyer abroad ships to a
country with an Incoterm; what orders refuses (cash on delivery abroad, USD without card) shows next
to the field, and a refused submit stores nothing."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from market.models import BuyerProfile
from orders.models import CartLine, Checkout, Currency, Order, Payment
from tests.factories.catalog import ProductFactory
from tests.factories.market import CooperativeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _restore_language():
    """Requests made in English leave English active in this thread: give later tests the default."""
    yield
    translation.deactivate()


def _importer_with_cart(*products, country="DE"):
    buyer = UserFactory(full_name="Anna Schmidt")
    BuyerProfile.objects.create(
        user=buyer,
        kind=BuyerProfile.Kind.COMPANY,
        company_name="Hanse Kaffee GmbH",
        country=country,
    )
    client = Client()
    client.force_login(buyer)
    for p in products:
        client.post(reverse("frontend:cart_add"), {"product": p.pk, "quantity": "2"})
    return buyer, client


def _export(token="e1", **overrides):
    data = {
        "destination": "EXPORT",
        "recipient_name": "Anna Schmidt",
        "recipient_phone": "+49 40 123456",
        "country": "DE",
        "export_address_line1": "Am Sandtorkai 1",
        "export_address_line2": "3. OG",
        "city": "Hamburg",
        "postal_code": "20457",
        "incoterm": "FOB",
        "payment_method": "installments",
        "token": token,
    }
    data.update(overrides)
    return data


def _counts():
    return (
        Checkout.objects.count(),
        Order.objects.count(),
        Payment.objects.count(),
        CartLine.objects.count(),
    )


def test_export_buyer_places_fob_order_to_germany_by_international_wire():
    product = ProductFactory(price_vnd=100_000, incoterms=["FOB", "CIF"])
    buyer, client = _importer_with_cart(product)

    response = client.post(reverse("frontend:checkout"), _export())

    checkout = Checkout.objects.get(buyer=buyer)
    assert response.status_code == 302
    assert response["Location"] == reverse("frontend:checkout_done", args=[checkout.pk])
    assert (checkout.country, checkout.incoterm, checkout.province_id, checkout.ward_id) == (
        "DE",
        "FOB",
        None,
        None,
    )
    assert (checkout.address_line, checkout.city, checkout.postal_code) == (
        "Am Sandtorkai 1, 3. OG",
        "Hamburg",
        "20457",
    )
    assert (checkout.payment_method, checkout.currency) == ("installments", Currency.VND)
    order = checkout.orders.get()
    (installment,) = order.installments.all()
    assert (installment.kind, installment.currency, installment.percent) == ("FULL", "USD", 100)
    assert order.export.incoterm == "FOB" and not order.payments.exists()  # no VietQR payment
    assert CartLine.objects.filter(cart__user=buyer).count() == 0


def test_export_buyer_pays_by_card_in_usd(settings):
    # Card enabled without a Stripe secret: the PaymentIntent is created after commit, which the
    # test transaction never reaches; the card page itself is covered by test_frontend_card.py.
    settings.PAYMENT_METHODS = ["bank_transfer", "cod", "stripe"]
    settings.USD_VND_RATE = 25_000
    buyer, client = _importer_with_cart(ProductFactory(price_vnd=100_000))

    response = client.post(
        reverse("frontend:checkout"), _export(payment_method="stripe", currency="USD")
    )

    checkout = Checkout.objects.get(buyer=buyer)
    assert response.status_code == 302
    assert response["Location"] == reverse("frontend:checkout_pay", args=[checkout.pk])
    assert (checkout.country, checkout.incoterm, checkout.currency, checkout.usd_vnd_rate) == (
        "DE",
        "FOB",
        "USD",
        25_000,
    )
    assert checkout.payments.get().currency == "USD"


def test_page_defaults_to_export_to_the_profile_country_and_card_in_usd(settings):
    settings.PAYMENT_METHODS = ["bank_transfer", "cod", "stripe"]
    _, client = _importer_with_cart(ProductFactory())

    response = client.get(reverse("frontend:checkout"))

    form = response.context["form"]
    html = response.content.decode()
    assert response.status_code == 200
    assert form["destination"].value() == "EXPORT"
    assert form["country"].value() == "DE"
    assert (form["payment_method"].value(), form["currency"].value()) == ("stripe", "USD")
    assert '<option value="DE" selected>Đức</option>' in html
    assert (
        'data-destination="VN"' in html and 'data-destination="EXPORT"' in html
    )  # both there without JS


def test_domestic_buyer_defaults_to_delivery_in_vietnam():
    _, client = _importer_with_cart(ProductFactory(), country="VN")

    response = client.get(reverse("frontend:checkout"))

    form = response.context["form"]
    assert form["destination"].value() == "VN"
    assert form["payment_method"].value() == "bank_transfer"


def test_country_names_follow_the_language():
    _, client = _importer_with_cart(ProductFactory())

    vi = client.get(reverse("frontend:checkout")).content.decode()
    client.cookies["django_language"] = "en"
    en = client.get(reverse("frontend:checkout")).content.decode()

    assert '<option value="DE" selected>Đức</option>' in vi
    assert '<option value="DE" selected>Germany</option>' in en
    assert '<option value="VN"' not in vi.split('name="country"')[1].split("</select>")[0]


@pytest.mark.parametrize(
    "missing, message",
    [
        ("country", "Hãy chọn quốc gia nhận hàng."),
        ("incoterm", "Hãy chọn điều kiện giao hàng (Incoterm)."),
    ],
)
def test_missing_country_or_incoterm_is_named_and_stores_nothing(missing, message):
    buyer, client = _importer_with_cart(ProductFactory())
    before = _counts()

    response = client.post(reverse("frontend:checkout"), _export(**{missing: ""}))

    form = response.context["form"]
    assert response.status_code == 200
    assert form.errors == {missing: [message]}
    assert message in response.content.decode()
    assert _counts() == before
    assert CartLine.objects.filter(cart__user=buyer).count() == 1


def test_cash_on_delivery_is_refused_for_export_with_the_orders_message():
    buyer, client = _importer_with_cart(ProductFactory())
    before = _counts()

    response = client.post(reverse("frontend:checkout"), _export(payment_method="cod"))

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "payment_method": ["Thanh toán khi nhận hàng chỉ áp dụng trong Việt Nam."]
    }
    assert _counts() == before


@pytest.mark.parametrize("method", ["bank_transfer", "cod"])
def test_domestic_vietqr_and_cash_are_refused_for_buyers_abroad(settings, method):
    settings.PAYMENT_METHODS = ["bank_transfer", "cod", "stripe"]
    _, client = _importer_with_cart(ProductFactory())
    before = _counts()

    response = client.post(reverse("frontend:checkout"), _export(payment_method=method))

    assert list(response.context["form"].errors) == ["payment_method"]
    assert _counts() == before


def test_buyer_abroad_is_offered_wire_and_card_never_vietqr(settings):
    settings.PAYMENT_METHODS = ["bank_transfer", "cod"]  # make run: no Stripe keys
    _, client = _importer_with_cart(ProductFactory())

    form = client.get(reverse("frontend:checkout")).context["form"]
    html = client.get(reverse("frontend:checkout")).content.decode()

    assert form["payment_method"].value() == "installments"
    assert 'data-export-only><input type="radio" name="payment_method" value="installments"' in html
    assert (
        'data-domestic-only><input type="radio" name="payment_method" value="bank_transfer"' in html
    )


def test_only_incoterms_every_cooperative_offers_are_choosable():
    a = ProductFactory(incoterms=["FOB", "CIF"])
    b = ProductFactory(incoterms=["EXW", "FOB"])
    c = ProductFactory(incoterms=[])  # lists none: does not narrow the choice
    _, client = _importer_with_cart(a, b, c)
    before = _counts()

    page = client.get(reverse("frontend:checkout"))
    refused = client.post(reverse("frontend:checkout"), _export(incoterm="CIF"))

    assert [v for v, _l in page.context["form"].fields["incoterm"].choices] == ["", "FOB"]
    assert refused.context["form"].errors == {
        "incoterm": [
            "Không phải hợp tác xã nào trong giỏ hàng cũng áp dụng điều kiện giao hàng (Incoterm) này."
        ]
    }
    assert _counts() == before


def test_cart_without_incoterm_data_offers_every_term_orders_accepts():
    _, client = _importer_with_cart(
        ProductFactory(), ProductFactory(cooperative=CooperativeFactory(verified=True))
    )

    page = client.get(reverse("frontend:checkout"))

    assert [v for v, _l in page.context["form"].fields["incoterm"].choices] == [
        "",
        "EXW",
        "FCA",
        "FOB",
        "CFR",
        "CIF",
        "DAP",
        "DDP",
    ]


def test_blank_phone_is_refused_next_to_the_field():
    _, client = _importer_with_cart(ProductFactory())
    before = _counts()

    response = client.post(reverse("frontend:checkout"), _export(recipient_phone="  "))

    assert response.context["form"].errors == {"recipient_phone": ["Trường này là bắt buộc."]}
    assert _counts() == before


def test_vietnamese_translations_of_the_export_form():
    with translation.override("vi"):
        translated = [
            str(translation.gettext(s))
            for s in (
                "Deliver in Vietnam",
                "Export",
                "Country",
                "Postal code",
                "Choose the destination country.",
            )
        ]

    assert translated == [
        "Giao trong Việt Nam",
        "Xuất khẩu",
        "Quốc gia",
        "Mã bưu chính",
        "Hãy chọn quốc gia nhận hàng.",
    ]
