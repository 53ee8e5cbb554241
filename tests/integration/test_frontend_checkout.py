"""Checkout and order pages through plain form posts (the no-JS path), and who may see them."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from market.models import Ward
from orders.models import Checkout, Order
from tests.factories.catalog import ProductFactory
from tests.factories.market import UserFactory

pytestmark = pytest.mark.django_db


def _buyer_with_cart(*products):
    buyer = UserFactory()
    client = Client()
    client.force_login(buyer)
    for p in products:
        client.post(reverse("frontend:cart_add"), {"product": p.pk, "quantity": "2"})
    return buyer, client


def _address(ward, token="t1", method="bank_transfer"):
    return {
        "recipient_name": "Nguyễn Thị Lan",
        "recipient_phone": "0912345678",
        "province_code": ward.province_id,
        "ward_code": ward.code,
        "address_line": "12 Lê Lợi",
        "payment_method": method,
        "token": token,
    }


def test_checkout_requires_login():
    response = Client().get(reverse("frontend:checkout"))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_ward_list_follows_province_without_js():
    ward = Ward.objects.filter(province_id=66).order_by("code").first()
    _, client = _buyer_with_cart(ProductFactory())

    response = client.get(
        reverse("frontend:checkout"), {"province_code": 66, "recipient_name": "Lan"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert f'<option value="{ward.code}">{ward.name}</option>' in html
    assert 'value="Lan"' in html


def test_ward_partial_for_htmx():
    ward = Ward.objects.filter(province_id=20).order_by("name").first()

    response = Client().get(reverse("frontend:wards"), {"province_code": 20})

    assert response.status_code == 200
    assert response.content.decode().startswith('<select name="ward_code"')
    assert f'value="{ward.code}"' in response.content.decode()


def test_bank_transfer_checkout_splits_per_cooperative_and_shows_vietqr():
    a, b = ProductFactory(price_vnd=100_000), ProductFactory(price_vnd=50_000)
    buyer, client = _buyer_with_cart(a, b)
    ward = Ward.objects.filter(province_id=20).first()

    response = client.post(reverse("frontend:checkout"), _address(ward), follow=True)

    html = response.content.decode()
    checkout = Checkout.objects.get(buyer=buyer)
    orders = list(checkout.orders.order_by("id"))
    assert response.status_code == 200
    assert len(orders) == 2
    for order in orders:
        assert order.code in html
        assert reverse("frontend:order_vietqr", args=[order.code]) in html
    qr = client.get(reverse("frontend:order_vietqr", args=[orders[0].code]))
    assert qr.status_code == 200
    assert qr["Content-Type"] == "image/svg+xml"


def test_double_submit_places_one_checkout():
    product = ProductFactory()
    buyer, client = _buyer_with_cart(product)
    ward = Ward.objects.filter(province_id=20).first()

    client.post(reverse("frontend:checkout"), _address(ward, token="same"))
    client.post(reverse("frontend:checkout"), _address(ward, token="same"))

    assert Checkout.objects.filter(buyer=buyer).count() == 1


def test_checkout_without_ward_shows_error_and_places_nothing():
    product = ProductFactory()
    buyer, client = _buyer_with_cart(product)
    ward = Ward.objects.filter(province_id=20).first()
    data = _address(ward)
    data["ward_code"] = ""

    response = client.post(reverse("frontend:checkout"), data)

    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert Checkout.objects.count() == 0
    assert product.__class__.objects.get(pk=product.pk).stock_qty == Decimal("100")


def test_a_product_withdrawn_from_sale_after_it_was_carted_is_named_and_nothing_is_placed():
    kept, withdrawn = ProductFactory(), ProductFactory(name_vi="Hồi khô Lạng Sơn")
    buyer, client = _buyer_with_cart(kept, withdrawn)
    type(withdrawn).objects.filter(pk=withdrawn.pk).update(price_vnd=None)  # unpriced meanwhile
    ward = Ward.objects.filter(province_id=20).first()

    response = client.post(reverse("frontend:checkout"), _address(ward))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Hồi khô Lạng Sơn" in html and 'class="errorlist' in html
    assert Checkout.objects.count() == 0 and Order.objects.count() == 0
    stock = dict(type(kept).objects.values_list("pk", "stock_qty"))
    assert stock[kept.pk] == stock[withdrawn.pk] == Decimal("100")
    assert buyer.cart.lines.count() == 2  # the buyer's cart is left as it was


@pytest.mark.parametrize(
    "who, statuses",
    [
        ("anonymous", [302, 302, 302]),
        ("owner", [200, 200, 200]),
        ("other_buyer", [404, 404, 404]),
        ("coop_staff", [200, 200, 404]),
        ("other_coop_staff", [404, 404, 404]),
        ("admin", [200, 200, 404]),
    ],
)
def test_order_page_is_for_its_buyer_cooperative_and_admins(who, statuses):
    from tests.factories.market import MembershipFactory

    product = ProductFactory()
    buyer, client = _buyer_with_cart(product)
    client.post(reverse("frontend:checkout"), _address(Ward.objects.filter(province_id=20).first()))
    order = Order.objects.get(buyer=buyer)
    viewers = {
        "anonymous": None,
        "owner": buyer,
        "other_buyer": UserFactory(),
        "coop_staff": MembershipFactory(cooperative=product.cooperative).user,
        "other_coop_staff": MembershipFactory().user,
        "admin": UserFactory(platform_admin=True),
    }
    c = Client()
    if viewers[who]:
        c.force_login(viewers[who])

    responses = [
        c.get(reverse("frontend:order_detail", args=[order.code])),
        c.get(reverse("frontend:order_vietqr", args=[order.code])),
        c.get(reverse("frontend:checkout_done", args=[order.checkout_id])),
    ]

    assert [r.status_code for r in responses] == statuses
