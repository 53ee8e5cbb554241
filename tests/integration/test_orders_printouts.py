"""Per-order PDFs: packing slip and invoice in Vietnamese, scoped like the other order endpoints."""

import pytest

from orders.models import Order
from orders.printouts import format_vnd, invoice_pdf, packing_slip_pdf
from tests.conftest import client_for
from tests.factories.catalog import ProductFactory
from tests.factories.market import UserFactory
from tests.factories.orders import place_order
from tests.pdf import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(actors):
    product = ProductFactory(cooperative=actors["coop"])
    return place_order(actors["buyer"], product, qty=2)


def test_format_vnd_uses_vietnamese_grouping():
    assert format_vnd(1_234_567) == "1.234.567 ₫"


def test_invoice_text_has_title_code_and_total(order):
    text = pdf_text(invoice_pdf(order, compress=False))

    assert "HÓA ĐƠN" in text
    assert order.code in text
    assert order.cooperative.tax_code in text
    assert format_vnd(order.total_vnd) in text
    assert format_vnd(order.shipping_fee_vnd) in text


def test_packing_slip_text_has_title_code_and_recipient(order):
    text = pdf_text(packing_slip_pdf(order, compress=False))

    assert "PHIẾU ĐÓNG GÓI" in text
    assert order.code in text
    assert order.checkout.recipient_name in text


def test_packing_slip_shows_the_amount_to_collect_on_cod_only(actors, order):
    cod = place_order(
        actors["buyer"], ProductFactory(cooperative=actors["coop"]), qty=3, payment_method="cod"
    )

    cod_text = pdf_text(packing_slip_pdf(cod, compress=False))
    transfer_text = pdf_text(packing_slip_pdf(order, compress=False))

    assert f"THU HỘ (COD): {format_vnd(cod.total_vnd)}" in cod_text
    assert "THU HỘ" not in transfer_text


def test_staff_gets_both_pdfs(actors, order):
    staff = client_for(actors["staff"])

    slip = staff.get(f"/api/v1/orders/{order.code}/packing-slip.pdf")
    invoice = staff.get(f"/api/v1/orders/{order.code}/invoice.pdf")

    assert slip.status_code == 200 and invoice.status_code == 200
    assert (
        slip["Content-Type"] == "application/pdf" and invoice["Content-Type"] == "application/pdf"
    )
    assert slip.content.startswith(b"%PDF") and invoice.content.startswith(b"%PDF")
    assert slip["Content-Disposition"] == f'attachment; filename="phieu-dong-goi-{order.code}.pdf"'
    assert invoice["Content-Disposition"] == f'attachment; filename="hoa-don-{order.code}.pdf"'


@pytest.mark.parametrize(
    "actor, slip_status, invoice_status",
    [
        ("admin", 200, 200),
        ("buyer", 200, 200),  # the buyer's own order: both documents (issue 16)
        ("another_buyer", 404, 404),
        ("other_staff", 404, 404),
        ("anonymous", 401, 401),
    ],
)
def test_pdf_permissions(actors, order, actor, slip_status, invoice_status):
    before = list(Order.objects.values_list("pk", "status", "updated_at"))
    user = UserFactory() if actor == "another_buyer" else actors[actor]
    client = client_for(user)

    slip = client.get(f"/api/v1/orders/{order.code}/packing-slip.pdf")
    invoice = client.get(f"/api/v1/orders/{order.code}/invoice.pdf")

    assert (slip.status_code, invoice.status_code) == (slip_status, invoice_status)
    assert list(Order.objects.values_list("pk", "status", "updated_at")) == before


def test_unknown_code_is_404(actors):
    response = client_for(actors["staff"]).get("/api/v1/orders/HTX-0000-000000/invoice.pdf")

    assert response.status_code == 404
