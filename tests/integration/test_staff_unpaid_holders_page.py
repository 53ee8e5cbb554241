"""Security audit, finding 3 (issue 11.3): the admin web page listing the buyers who hold the most
stock in unpaid bank-transfer orders. Platform admins only: everyone else gets what a missing page
gives (login for the anonymous, 404 for the signed-in) and sees none of the buyers."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Order
from tests.factories.catalog import ProductFactory
from tests.factories.market import MembershipFactory, UserFactory
from tests.factories.orders import place_order

pytestmark = pytest.mark.django_db
URL = "/quan-tri/giu-hang-chua-tra/"


@pytest.fixture
def limits(settings):
    settings.ORDER_UNPAID_MAX_OPEN = 3
    settings.ORDER_UNPAID_MAX_VALUE_VND = 50_000_000
    settings.ORDER_CHECKOUTS_PER_HOUR = 10
    settings.ORDER_VERIFIED_EMAIL_ABOVE_VND = 5_000_000
    settings.ORDER_BANK_TRANSFER_RESERVATION_HOURS = 6
    return settings


@pytest.fixture
def hoarding(limits):
    hoarder = UserFactory(email="giu-hang@example.vn")
    small = UserFactory(email="mua-it@example.vn")
    product = ProductFactory(stock_qty=Decimal("100"))
    for _ in range(3):
        place_order(hoarder, product, 10)
    place_order(small, product, 1)
    return {"hoarder": hoarder, "small": small, "product": product}


def _client(user, lang="vi"):
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    if user is not None:
        c.force_login(user)
    return c


def test_admin_sees_the_biggest_holder_first_in_vietnamese(hoarding):
    admin = UserFactory(platform_admin=True)
    hoarder = hoarding["hoarder"]
    codes = sorted(Order.objects.filter(buyer=hoarder).values_list("code", flat=True))
    value = sum(o.total_vnd for o in Order.objects.filter(buyer=hoarder))

    response = _client(admin).get(URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Người giữ hàng chưa trả tiền</h1>" in page
    assert "Giới hạn mỗi người mua: 3 đơn chưa thanh toán" in page
    assert page.index("giu-hang@example.vn") < page.index("mua-it@example.vn")
    row = page[
        page.index(f'id="holder-{hoarder.pk}"') : page.index(
            "</tr>", page.index(f'id="holder-{hoarder.pk}"')
        )
    ]
    assert f'<td data-label="Giá trị chưa thanh toán">{value:,}\xa0₫</td>'.replace(",", ".") in row
    assert '<td data-label="Số lượng đang giữ">30</td>' in row  # 3 orders × 10 units
    assert "email chưa xác minh" in row
    for code in codes:
        assert f'href="{reverse("frontend:order_detail", args=[code])}"' in row


def test_the_page_is_in_the_nav_and_speaks_english(hoarding):
    admin = UserFactory(platform_admin=True)

    queue = _client(admin).get(reverse("frontend:staff_queue")).content.decode()
    english = _client(admin, "en").get(URL).content.decode()

    assert f'href="{URL}"' in queue
    assert "<h1>Unpaid stock holders</h1>" in english
    assert "Limits per buyer: 3 open unpaid orders" in english


def test_nobody_holding_stock_says_so(limits):
    admin = UserFactory(platform_admin=True)
    paid_later = place_order(UserFactory(), ProductFactory(), 1)
    Order.objects.filter(pk=paid_later.pk).update(payment_status=Order.PaymentStatus.PAID)

    page = _client(admin).get(URL).content.decode()

    assert "Không ai đang giữ hàng mà chưa thanh toán." in page
    assert paid_later.code not in page


@pytest.mark.parametrize("who", ["buyer", "hoarder", "coop_owner", "bare_is_staff"])
def test_anyone_but_a_platform_admin_gets_404_and_sees_no_buyer(hoarding, who):
    user = {
        "buyer": UserFactory(),
        "hoarder": hoarding["hoarder"],
        "coop_owner": MembershipFactory(role="OWNER").user,
        "bare_is_staff": UserFactory(is_staff=True),
    }[who]

    response = _client(user).get(URL)

    page = response.content.decode()
    assert response.status_code == 404
    assert "giu-hang@example.vn" not in page
    assert "mua-it@example.vn" not in page


def test_anonymous_is_sent_to_login_and_sees_no_buyer(hoarding):
    response = _client(None).get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("frontend:login"))
    assert "giu-hang@example.vn" not in response.content.decode()


def test_posting_is_refused_and_changes_nothing(hoarding):
    admin = UserFactory(platform_admin=True)
    before = list(Order.objects.order_by("pk").values_list("pk", "status", "payment_status"))

    response = _client(admin).post(URL)

    assert response.status_code == 405
    assert list(Order.objects.order_by("pk").values_list("pk", "status", "payment_status")) == (
        before
    )


def test_queries_do_not_grow_with_the_number_of_holders(limits):
    admin = UserFactory(platform_admin=True)
    product = ProductFactory(stock_qty=Decimal("100"))
    place_order(UserFactory(), product, 1)
    client = _client(admin)
    with CaptureQueriesContext(connection) as one:
        client.get(URL)
    for _ in range(4):
        buyer = UserFactory()
        place_order(buyer, product, 2)
        place_order(buyer, product, 1)

    with CaptureQueriesContext(connection) as five:
        response = client.get(URL)

    assert response.content.decode().count('id="holder-') == 5
    assert len(five) == len(one)
