"""RFQ test helpers: a small export market set up through our own services."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from market.models import BuyerProfile
from quotes.services import quote_submit, rfq_create
from tests.factories.catalog import CategoryFactory, ProductFactory
from tests.factories.market import CooperativeFactory, MembershipFactory, UserFactory

# A sea shipment of 20 t in one container, as a cooperative declares it (API body).
SHIPMENT = {
    "port_of_loading": "Cai Mep, Vietnam",
    "port_of_discharge": "Hamburg, Germany",
    "vessel": "MSC Anna V.026E",
    "container_number": "MSCU1234565",
    "seal_number": "VN2026001",
    "package_count": 800,
    "package_kind": "PP bags of 25 kg",
    "net_weight_kg": "20000",
    "gross_weight_kg": "20240",
    "marks": "HTX/HAMBURG/1-800",
}


def company_buyer(country="DE", name="Hamburg Rice Import GmbH"):
    user = UserFactory(language="en")
    BuyerProfile.objects.create(user=user, kind="COMPANY", company_name=name, country=country)
    return user


@pytest.fixture
def trade(db):
    """Two verified rice cooperatives (each with staff and a product), a third cooperative in
    another category, two company buyers, a private buyer and an admin."""
    rice = CategoryFactory(slug="gao-thom", name_vi="Gạo thơm", name_en="Fragrant rice")
    coffee = CategoryFactory(slug="ca-phe", name_vi="Cà phê", name_en="Coffee")
    coop, other = CooperativeFactory(verified=True), CooperativeFactory(verified=True)
    coffee_coop = CooperativeFactory(verified=True)
    kw = {"category": rice, "unit": "KG", "hs_code": "1006.30", "name_en": "ST25 fragrant rice"}
    return {
        "rice": rice,
        "coffee": coffee,
        "coop": coop,
        "other_coop": other,
        "product": ProductFactory(cooperative=coop, sku="ST25-A", **kw),
        "other_product": ProductFactory(cooperative=other, sku="ST25-B", **kw),
        "coffee_product": ProductFactory(cooperative=coffee_coop, category=coffee),
        "anonymous": None,
        "buyer": company_buyer(),
        "other_buyer": company_buyer("JP", "Sakura Foods K.K."),
        "staff": MembershipFactory(cooperative=coop, role="OWNER").user,
        "other_staff": MembershipFactory(cooperative=other, role="OWNER").user,
        "coffee_staff": MembershipFactory(cooperative=coffee_coop, role="OWNER").user,
        "admin": UserFactory(platform_admin=True),
    }


def rfq_data(trade, **overrides) -> dict:
    today = timezone.localdate()
    data = {
        "title": "ST25 fragrant rice, 20 t FOB Cái Mép",
        "category_id": trade["rice"].pk,
        "specification": "Moisture max 14%, broken max 5%.",
        "quantity": Decimal("20"),
        "unit": "TAN",
        "target_price": Decimal("820"),
        "target_currency": "USD",
        "incoterm": "FOB",
        "named_place": "Cái Mép",
        "destination_country": "DE",
        "delivery_from": today + datetime.timedelta(days=30),
        "delivery_to": today + datetime.timedelta(days=60),
        "certifications": [],
        "packaging": "25 kg PP bags",
        "closes_at": timezone.now() + datetime.timedelta(days=7),
    }
    data.update(overrides)
    return data


def quote_data(product, **overrides) -> dict:
    data = {
        "product_id": product.pk,
        "unit_price": Decimal("830"),
        "currency": "USD",
        "incoterm": "FOB",
        "named_place": "Cái Mép",
        "quantity": Decimal("20"),
        "moq": Decimal("10"),
        "lead_time_days": 30,
        "valid_until": timezone.localdate() + datetime.timedelta(days=20),
        "deposit_percent": Decimal("30"),
        "balance_due": "AGAINST_BL_COPY",
        "packaging": "25 kg PP bags",
        "note": "",
    }
    data.update(overrides)
    return data


def post_rfq(trade, buyer=None, **overrides):
    return rfq_create(buyer=buyer or trade["buyer"], data=rfq_data(trade, **overrides))


def give_quote(trade, rfq, *, other=False, **overrides):
    staff = trade["other_staff" if other else "staff"]
    product = trade["other_product" if other else "product"]
    return quote_submit(actor=staff, rfq_id=rfq.pk, data=quote_data(product, **overrides))
