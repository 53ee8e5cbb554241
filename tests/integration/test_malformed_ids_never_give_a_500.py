"""Ids and keys no row can have (too many digits, non-ASCII digits, a NUL byte) answer 404
or 400, never a 500, and change nothing."""

import pytest
from django.urls import reverse

from market.models import Cooperative
from orders.models import Cart
from tests.clients import web_client

pytestmark = pytest.mark.django_db

HUGE = "9" * 30  # more digits than any database integer holds


@pytest.mark.parametrize("key", ["²", "¹²"])  # str.isdigit() is true for these, int() refuses them
def test_cooperative_detail_with_a_non_ascii_digit_key_is_404(actors, api_client, key):
    response = api_client.get(f"/api/v1/cooperatives/{key}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_cooperative_patch_with_a_non_ascii_digit_key_is_404_and_changes_nothing(actors):
    from tests.conftest import client_for

    name = actors["coop"].legal_name

    response = client_for(actors["admin"]).patch(
        "/api/v1/cooperatives/²/", {"legal_name": "Đổi tên"}, format="json"
    )

    actors["coop"].refresh_from_db()
    assert response.status_code == 404
    assert actors["coop"].legal_name == name


def test_directory_api_with_a_province_code_too_large_is_400_not_500(actors, api_client):
    response = api_client.get("/api/v1/cooperatives/", {"province": HUGE})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["province"]


def test_directory_page_with_a_province_code_too_large_shows_every_cooperative(actors):
    response = web_client().get(reverse("frontend:directory"), {"province": HUGE})

    assert response.status_code == 200
    assert set(response.context["page"].object_list) == {actors["coop"], actors["other_coop"]}


def test_cart_remove_with_a_product_id_too_large_changes_nothing(actors):
    from orders.services.cart import cart_get_or_create

    cart = cart_get_or_create(user=actors["buyer"])
    client = web_client(actors["buyer"])
    carts_before = Cart.objects.count()

    response = client.post(reverse("frontend:cart_remove"), {"product": HUGE})

    assert response.status_code == 302
    assert response["Location"] == reverse("frontend:cart")
    assert Cart.objects.count() == carts_before
    assert Cart.objects.filter(pk=cart.pk).exists()


@pytest.mark.parametrize("who", ["buyer", "staff", "admin"])
def test_cooperative_page_with_an_id_too_large_is_404(actors, who):
    response = web_client(actors[who]).get(f"/htx/{HUGE}/")

    assert response.status_code == 404


def test_cooperative_post_with_an_id_too_large_is_404_and_changes_nothing(actors):
    statuses = list(Cooperative.objects.order_by("pk").values_list("status", flat=True))

    response = web_client(actors["staff"]).post(f"/htx/{HUGE}/gui-xac-minh/")

    assert response.status_code == 404
    assert list(Cooperative.objects.order_by("pk").values_list("status", flat=True)) == statuses


@pytest.mark.postgres  # PostgreSQL refuses NUL in a text parameter (ValueError); SQLite just finds nothing
def test_a_nul_byte_in_a_path_is_404_not_500(actors, api_client):
    from tests.factories.catalog import ProductFactory
    from tests.factories.orders import place_order

    order = place_order(actors["buyer"], ProductFactory(cooperative=actors["coop"]))
    staff, buyer = web_client(actors["staff"]), web_client(actors["buyer"])
    status_before = order.status

    answers = [
        api_client.get("/api/v1/cooperatives/a%00b/").status_code,
        buyer.get("/don-hang/HTX%00/").status_code,
        buyer.get("/don-hang/HTX%00/vietqr.svg").status_code,
        staff.get(f"/htx/{actors['coop'].pk}/don-hang/HTX%00/slip/").status_code,
        staff.post(
            f"/htx/{actors['coop'].pk}/don-hang/HTX%00/chuyen/", {"to": "CONFIRMED"}
        ).status_code,
    ]

    order.refresh_from_db()
    assert answers == [404] * 5
    assert order.status == status_before


def test_removing_a_member_id_too_large_is_404_and_changes_nothing(actors):
    from market.models import Membership
    from tests.conftest import client_for

    members = list(Membership.objects.order_by("pk").values_list("pk", flat=True))

    response = client_for(actors["staff"]).delete(
        f"/api/v1/cooperatives/{actors['coop'].pk}/members/{HUGE}/"
    )

    assert response.status_code == 404
    assert list(Membership.objects.order_by("pk").values_list("pk", flat=True)) == members
