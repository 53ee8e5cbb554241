"""Numbers the database columns cannot hold (huge exponents, superscript digits, stock past
numeric(14,3)) are a validation error or ignored, never a 500, and change nothing."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from catalog.models import ProductEvent
from orders.models import CartLine, Order
from tests.factories.catalog import ProductFactory
from tests.factories.market import MembershipFactory, UserFactory
from tests.factories.orders import api_address, fill_cart, place_order

pytestmark = pytest.mark.django_db


def client(user) -> APIClient:
    # Render a 500 as a response instead of re-raising, so the test sees what a client would.
    c = APIClient(raise_request_exception=False)
    if user is not None:
        c.force_authenticate(user)
    return c


@pytest.mark.parametrize("quantity", ["1e400", "-1e400"])
def test_cart_quantity_with_a_huge_exponent_is_a_validation_error_not_a_500(quantity):
    product = ProductFactory()
    buyer = UserFactory()

    added = client(buyer).post(
        "/api/v1/cart/lines/", {"product_id": product.pk, "quantity": quantity}, format="json"
    )
    updated = client(buyer).patch(
        f"/api/v1/cart/lines/{product.pk}/", {"quantity": quantity}, format="json"
    )

    assert (added.status_code, added.json()["code"]) == (400, "quantity_invalid")
    assert (updated.status_code, updated.json()["code"]) == (400, "quantity_invalid")
    assert CartLine.objects.count() == 0


def test_checkout_note_keyed_by_a_superscript_digit_is_ignored_not_a_500():
    # "²".isdigit() is True but int("²") raises: the note key must be a decimal number.
    product = ProductFactory()
    buyer = UserFactory()
    fill_cart(buyer, (product, 1))

    response = client(buyer).post(
        "/api/v1/checkout/",
        {
            "payment_method": "bank_transfer",
            "address": api_address(),
            "notes": {"²": "giao buổi sáng", str(product.cooperative_id): "gọi trước"},
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="note-key-1",
    )

    assert response.status_code == 201
    assert Order.objects.get().note == "gọi trước"


@pytest.mark.parametrize(
    "url", ["/api/v1/coop/orders/?cooperative=²", "/api/v1/coop/orders/export.csv?cooperative=²"]
)
def test_order_desk_cooperative_filter_with_a_superscript_digit_is_ignored_not_a_500(url):
    product = ProductFactory()
    staff = MembershipFactory(cooperative=product.cooperative, role="OWNER").user
    order = place_order(UserFactory(), product, 1)

    response = client(staff).get(url)

    assert response.status_code == 200
    assert order.code in response.content.decode()


def test_stock_increase_past_the_column_limit_is_refused_and_changes_nothing():
    product = ProductFactory(stock_qty=Decimal("10"))
    staff = MembershipFactory(cooperative=product.cooperative, role="OWNER").user
    events = ProductEvent.objects.count()

    response = client(staff).post(
        f"/api/v1/cooperatives/{product.cooperative_id}/products/{product.pk}/stock/",
        {"mode": "increase", "quantity": "99999999999.999"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "product_invalid"
    assert list(response.json()["fields"]) == ["quantity"]
    product.refresh_from_db()
    assert product.stock_qty == Decimal("10")
    assert ProductEvent.objects.count() == events


@pytest.mark.parametrize(
    "field, value",
    [
        ("stock_qty", "1e20"),
        ("min_order_qty", "100000000000"),
        ("order_step", "0.0005"),
        ("stock_qty", "2.0001"),
    ],
)
def test_quantity_rules_refuse_what_the_numeric_14_3_column_cannot_hold(field, value):
    # The spreadsheet import relies on these rules alone (no serializer limits its numbers).
    from catalog import rules

    errors = rules.product_errors(
        {
            "sku": "A1",
            "name_vi": "Gạo",
            "unit": "KG",
            "min_order_qty": Decimal("1"),
            "order_step": Decimal("0.001"),
            field: Decimal(value),
        }
    )

    assert list(errors) == [field]
