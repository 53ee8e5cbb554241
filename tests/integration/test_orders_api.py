"""Orders API: cart for guests and users, checkout with Idempotency-Key, order desk, permission
matrix over the actors, VietQR, bank-transfer confirmation, refunds."""

from decimal import Decimal

import pytest

from market.models import User
from orders.models import CartLine, Checkout, IdempotencyKey, Order, OrderEvent, Refund
from orders.services.idempotency import idempotency_claim
from tests.conftest import client_for
from tests.factories.catalog import ProductFactory
from tests.factories.market import UserFactory
from tests.factories.orders import api_address, place_order

pytestmark = pytest.mark.django_db


def checkout_body(**kw):
    return {"payment_method": "bank_transfer", "address": api_address(), **kw}


# --- cart ---


def test_guest_cart_by_session_then_merged_at_login():
    product = ProductFactory()
    guest = client_for(None)

    added = guest.post(
        "/api/v1/cart/lines/", {"product_id": product.pk, "quantity": "2"}, format="json"
    )
    updated = guest.patch(f"/api/v1/cart/lines/{product.pk}/", {"quantity": "3"}, format="json")

    assert added.status_code == 200 and added.json()["lines"][0]["quantity"] == "2"
    assert updated.json()["subtotal_vnd"] == 360_000
    session_key = guest.session.session_key
    user = UserFactory()
    from orders.services import cart_merge

    cart_merge(user=user, session_key=session_key)
    mine = client_for(user).get("/api/v1/cart/").json()
    assert [(ln["product_id"], ln["quantity"]) for ln in mine["lines"]] == [(product.pk, "3")]


def test_cart_get_for_a_new_guest_is_empty_and_creates_nothing():
    response = client_for(None).get("/api/v1/cart/")

    assert response.json() == {"lines": [], "messages": [], "subtotal_vnd": 0}
    assert CartLine.objects.count() == 0


@pytest.mark.parametrize(
    "body, code",
    [
        ({"product_id": 0, "quantity": "1"}, "validation_failed"),
        ({"quantity": "1"}, "validation_failed"),
        ({"product_id": 999999, "quantity": "1"}, "not_purchasable"),
        ({"product_id": "P", "quantity": "1"}, "validation_failed"),
        ({"product_id": "PRODUCT", "quantity": "x"}, "quantity_invalid"),
        ({"product_id": "PRODUCT", "quantity": "0.5"}, "below_minimum_order"),
        ({"product_id": "PRODUCT", "quantity": "1.5"}, "off_order_step"),
        ({"product_id": "PRODUCT", "quantity": "1000"}, "out_of_stock"),
    ],
)
def test_cart_bad_input(body, code):
    product = ProductFactory()
    body = {k: (product.pk if v == "PRODUCT" else v) for k, v in body.items()}

    response = client_for(UserFactory()).post("/api/v1/cart/lines/", body, format="json")

    assert response.status_code in (400, 409) and response.json()["code"] == code
    assert CartLine.objects.count() == 0


def test_delete_line():
    user, product = UserFactory(), ProductFactory()
    client = client_for(user)
    client.post("/api/v1/cart/lines/", {"product_id": product.pk, "quantity": "1"}, format="json")

    response = client.delete(f"/api/v1/cart/lines/{product.pk}/")

    assert response.status_code == 200 and response.json()["lines"] == []


# --- checkout + idempotency ---


@pytest.fixture
def buyer_with_cart():
    user = UserFactory()
    product = ProductFactory(stock_qty=Decimal("10"))
    client_for(user).post(
        "/api/v1/cart/lines/", {"product_id": product.pk, "quantity": "2"}, format="json"
    )
    return user, product


def test_checkout_requires_an_idempotency_key(buyer_with_cart):
    user, _p = buyer_with_cart

    response = client_for(user).post("/api/v1/checkout/", checkout_body(), format="json")

    assert response.status_code == 400 and response.json()["code"] == "idempotency_key_missing"
    assert Checkout.objects.count() == 0 and IdempotencyKey.objects.count() == 0


def test_checkout_places_and_replays_the_same_response(buyer_with_cart):
    user, product = buyer_with_cart
    client = client_for(user)

    first = client.post(
        "/api/v1/checkout/", checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    second = client.post(
        "/api/v1/checkout/", checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )

    assert first.status_code == 201 and second.status_code == 201
    assert second.json() == first.json() and second.headers["Idempotent-Replayed"] == "true"
    assert Checkout.objects.count() == 1 and Order.objects.count() == 1
    product.refresh_from_db()
    assert product.stock_qty == Decimal("8")
    data = first.json()
    assert (
        data["orders"][0]["status"] == "PLACED" and data["orders"][0]["lines"][0]["quantity"] == "2"
    )
    assert data["total_vnd"] == 240_000 + 30_000


def test_same_key_with_a_different_body_is_422(buyer_with_cart):
    user, _p = buyer_with_cart
    client = client_for(user)
    client.post("/api/v1/checkout/", checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    response = client.post(
        "/api/v1/checkout/",
        checkout_body(payment_method="cod"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-2",
    )

    assert response.status_code == 422 and response.json()["code"] == "idempotency_key_reused"
    assert Checkout.objects.count() == 1


def test_same_key_in_flight_is_409(buyer_with_cart):
    user, _p = buyer_with_cart
    body = checkout_body()
    idempotency_claim(
        principal=f"user:{user.pk}", key="k-3", scope="POST checkout", body=body
    )  # in flight

    response = client_for(user).post(
        "/api/v1/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-3"
    )

    assert response.status_code == 409 and response.json()["code"] == "idempotency_key_in_flight"
    assert Checkout.objects.count() == 0


def test_keys_are_per_principal(buyer_with_cart):
    user, product = buyer_with_cart
    other = UserFactory()
    client_for(other).post(
        "/api/v1/cart/lines/", {"product_id": product.pk, "quantity": "1"}, format="json"
    )

    a = client_for(user).post(
        "/api/v1/checkout/", checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY="same"
    )
    b = client_for(other).post(
        "/api/v1/checkout/", checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY="same"
    )

    assert (a.status_code, b.status_code) == (201, 201) and Checkout.objects.count() == 2


def test_failed_checkout_releases_the_key_for_a_retry(buyer_with_cart):
    user, _p = buyer_with_cart
    client = client_for(user)
    bad = checkout_body(address={**api_address(), "province_code": None})

    failed = client.post("/api/v1/checkout/", bad, format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    retry = client.post("/api/v1/checkout/", bad, format="json", HTTP_IDEMPOTENCY_KEY="k-4")

    assert (
        failed.status_code == retry.status_code == 400 and retry.json()["code"] == "address_invalid"
    )
    assert IdempotencyKey.objects.count() == 0 and Checkout.objects.count() == 0


@pytest.mark.parametrize("key", ["x" * 256, "bad key\u00e9"])
def test_invalid_key_is_400(buyer_with_cart, key):
    user, _p = buyer_with_cart

    response = client_for(user).post(
        "/api/v1/checkout/",
        checkout_body(),
        format="json",
        HTTP_IDEMPOTENCY_KEY=key.encode("utf-8").decode("latin-1"),
    )

    assert response.status_code == 400 and response.json()["code"] == "idempotency_key_invalid"


def test_tampered_expected_total_is_409(buyer_with_cart):
    user, product = buyer_with_cart

    response = client_for(user).post(
        "/api/v1/checkout/",
        checkout_body(expected_total_vnd=1000),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-5",
    )

    assert response.status_code == 409 and response.json()["code"] == "price_changed"
    product.refresh_from_db()
    assert product.stock_qty == Decimal("10") and Order.objects.count() == 0


def test_anonymous_cannot_checkout():
    response = client_for(None).post(
        "/api/v1/checkout/", checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert response.status_code in (401, 403) and Checkout.objects.count() == 0


# --- permission matrix ---


@pytest.fixture
def order(actors):
    return place_order(actors["buyer"], ProductFactory(cooperative=actors["coop"]), 1)


VIEW = {"anonymous": 401, "buyer": 200, "staff": 200, "other_staff": 404, "admin": 200}


@pytest.mark.parametrize("who, expected", VIEW.items())
def test_order_detail_matrix(actors, order, who, expected):
    response = client_for(actors[who]).get(f"/api/v1/orders/{order.code}/")

    assert response.status_code in ((401, 403) if expected == 401 else (expected,))
    if expected == 200:
        assert (
            response.json()["code"] == order.code
            and response.json()["timeline"][0]["to_status"] == "PLACED"
        )


MOVES = [  # (endpoint, body, {actor: status})
    (
        "confirm",
        {},
        {"anonymous": 401, "buyer": 403, "staff": 200, "other_staff": 404, "admin": 200},
    ),
    (
        "refuse",
        {"reason": "Hết hàng"},
        {"anonymous": 401, "buyer": 403, "staff": 200, "other_staff": 404, "admin": 200},
    ),
    (
        "cancel",
        {"reason": "Lý do"},
        {"anonymous": 401, "buyer": 200, "staff": 200, "other_staff": 404, "admin": 200},
    ),
    ("pack", {}, {"anonymous": 401, "buyer": 403, "staff": 409, "other_staff": 404, "admin": 409}),
    (
        "ship",
        {"carrier": "GHN", "tracking_number": "1"},
        {"anonymous": 401, "buyer": 403, "staff": 409, "other_staff": 404, "admin": 409},
    ),
    (
        "complete",
        {},
        {"anonymous": 401, "buyer": 409, "staff": 403, "other_staff": 404, "admin": 409},
    ),
    (
        "payment/confirm",
        {},
        {"anonymous": 401, "buyer": 403, "staff": 200, "other_staff": 404, "admin": 200},
    ),
]


@pytest.mark.parametrize("who", ["anonymous", "buyer", "staff", "other_staff", "admin"])
@pytest.mark.parametrize("endpoint, body, expected", MOVES, ids=[m[0] for m in MOVES])
def test_move_matrix_on_a_placed_order(actors, order, who, endpoint, body, expected):
    events = OrderEvent.objects.count()

    response = client_for(actors[who]).post(
        f"/api/v1/orders/{order.code}/{endpoint}/", body, format="json"
    )

    want = expected[who]
    assert response.status_code in ((401, 403) if want == 401 else (want,)), response.content
    if want != 200:
        order.refresh_from_db()
        assert order.status == "PLACED" and order.payment_status == "UNPAID"
        assert OrderEvent.objects.count() == events


def test_lists_are_scoped(actors, order):
    mine = place_order(actors["other_staff"], ProductFactory(cooperative=actors["other_coop"]), 1)

    buyer = client_for(actors["buyer"]).get("/api/v1/orders/").json()
    desk = client_for(actors["staff"]).get("/api/v1/coop/orders/?status=PLACED").json()
    other_desk = client_for(actors["other_staff"]).get("/api/v1/coop/orders/").json()
    admin = client_for(actors["admin"]).get("/api/v1/admin/orders/").json()
    denied = client_for(actors["staff"]).get("/api/v1/admin/orders/")
    confirmed_only = client_for(actors["staff"]).get("/api/v1/coop/orders/?status=CONFIRMED").json()
    bad_status = client_for(actors["staff"]).get("/api/v1/coop/orders/?status=NOPE")

    assert [o["code"] for o in buyer["results"]] == [order.code]
    assert [o["code"] for o in desk["results"]] == [order.code]
    assert [o["code"] for o in other_desk["results"]] == [mine.code]
    assert sorted(o["code"] for o in admin["results"]) == sorted([order.code, mine.code])
    assert (
        denied.status_code == 403
        and confirmed_only["results"] == []
        and bad_status.status_code == 400
    )


def test_ship_through_the_api_requires_tracking(actors, order):
    staff = client_for(actors["staff"])
    staff.post(f"/api/v1/orders/{order.code}/confirm/", {}, format="json")
    staff.post(f"/api/v1/orders/{order.code}/pack/", {}, format="json")

    response = staff.post(f"/api/v1/orders/{order.code}/ship/", {"carrier": "GHN"}, format="json")

    assert response.status_code == 400 and response.json()["code"] == "tracking_required"
    order.refresh_from_db()
    assert order.status == "PACKED"


def test_confirm_with_refused_lines_via_api(actors, order):
    line = order.lines.get()

    response = client_for(actors["staff"]).post(
        f"/api/v1/orders/{order.code}/confirm/",
        {"refused_lines": [{"line_id": line.pk, "reason": "Hết"}]},
        format="json",
    )

    assert response.status_code == 200 and response.json()["status"] == "REFUSED"
    assert response.json()["lines"][0]["refused_reason"] == "Hết"


# --- VietQR ---


def test_vietqr_payload_and_images(actors, order):
    client = client_for(actors["buyer"])

    data = client.get(f"/api/v1/orders/{order.code}/vietqr/").json()
    svg = client.get(f"/api/v1/orders/{order.code}/vietqr.svg")
    png = client.get(f"/api/v1/orders/{order.code}/vietqr.png")

    from orders import vietqr

    assert data["memo"] == order.code and data["amount_vnd"] == order.total_vnd
    assert vietqr.crc_valid(data["payload"]) and vietqr.parse(data["payload"])["54"] == str(
        order.total_vnd
    )
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    assert png["Content-Type"] == "image/png" and png.content[:4] == b"\x89PNG"


def test_vietqr_not_for_cod_or_other_coops(actors):
    cod = place_order(
        actors["buyer"], ProductFactory(cooperative=actors["coop"]), 1, payment_method="cod"
    )

    assert client_for(actors["buyer"]).get(f"/api/v1/orders/{cod.code}/vietqr/").status_code == 409
    assert (
        client_for(actors["other_staff"]).get(f"/api/v1/orders/{cod.code}/vietqr.svg").status_code
        == 404
    )


# --- bank transfer confirmation and refunds ---


def test_confirm_bank_transfer_then_refund(actors, order):
    staff = client_for(actors["staff"])

    paid = staff.post(
        f"/api/v1/orders/{order.code}/payment/confirm/", {"note": "VCB 12:01"}, format="json"
    )
    twice = staff.post(f"/api/v1/orders/{order.code}/payment/confirm/", {}, format="json")
    partial = staff.post(
        f"/api/v1/orders/{order.code}/refunds/",
        {"amount_vnd": 50_000, "reason": "Thiếu 1 kg"},
        format="json",
    )
    too_much = staff.post(
        f"/api/v1/orders/{order.code}/refunds/",
        {"amount_vnd": order.total_vnd, "reason": "x"},
        format="json",
    )
    by_buyer = client_for(actors["buyer"]).post(
        f"/api/v1/orders/{order.code}/refunds/", {"amount_vnd": 1, "reason": "x"}, format="json"
    )

    assert paid.status_code == 200 and paid.json()["payment_status"] == "PAID"
    assert twice.status_code == 409 and twice.json()["code"] == "payment_not_confirmable"
    assert partial.status_code == 201 and partial.json()["status"] == "SUCCEEDED"
    assert too_much.status_code == 409 and too_much.json()["code"] == "refund_invalid"
    assert by_buyer.status_code == 403
    order.refresh_from_db()
    assert (order.payment_status, order.amount_refunded_vnd) == ("PARTIALLY_REFUNDED", 50_000)
    assert Refund.objects.count() == 1


def test_refund_of_unpaid_order_is_refused(actors, order):
    response = client_for(actors["admin"]).post(
        f"/api/v1/orders/{order.code}/refunds/", {"amount_vnd": 1000, "reason": "x"}, format="json"
    )

    assert response.status_code == 409 and Refund.objects.count() == 0


def test_openapi_lists_the_order_endpoints():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]

    for path in (
        "/api/v1/cart/",
        "/api/v1/checkout/",
        "/api/v1/orders/{code}/ship/",
        "/api/v1/payments/stripe/webhook",
        "/api/v1/payments/bank-transfer/reconcile",
        "/api/v1/orders/{code}/vietqr/",
        "/api/v1/coop/orders/",
        "/api/v1/admin/orders/",
    ):
        assert path in paths, path


# --- desk extras ---


def test_bulk_confirm_reports_each_order(actors, order):
    other = place_order(actors["other_staff"], ProductFactory(cooperative=actors["other_coop"]), 1)
    second = place_order(actors["buyer"], ProductFactory(cooperative=actors["coop"]), 1)
    client_for(actors["staff"]).post(
        f"/api/v1/orders/{second.code}/cancel/", {"reason": "x"}, format="json"
    )

    response = client_for(actors["staff"]).post(
        "/api/v1/coop/orders/bulk/",
        {"action": "confirm", "codes": [order.code, second.code, other.code, "HTX-0000-000000"]},
        format="json",
    )

    assert response.json()["results"] == {
        order.code: "ok",
        second.code: "invalid_transition",
        other.code: "not_found",
        "HTX-0000-000000": "not_found",
    }
    assert dict(Order.objects.values_list("code", "status")) == {
        order.code: "CONFIRMED",
        second.code: "CANCELLED",
        other.code: "PLACED",
    }


def test_csv_export_only_my_orders(actors, order):
    place_order(actors["other_staff"], ProductFactory(cooperative=actors["other_coop"]), 1)

    response = client_for(actors["staff"]).get("/api/v1/coop/orders/export.csv")

    text = response.content.decode("utf-8-sig").splitlines()
    assert response["Content-Type"].startswith("text/csv")
    assert text[0].startswith("code,placed_at,status") and len(text) == 2
    assert text[1].startswith(order.code + ",") and f",{order.total_vnd}," in text[1]


def test_checkout_with_no_cart_is_cart_empty():
    user = UserFactory()

    response = client_for(user).post(
        "/api/v1/checkout/", checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY="e"
    )

    assert response.status_code == 409 and response.json()["code"] == "cart_empty"
    assert Checkout.objects.count() == 0 and IdempotencyKey.objects.count() == 0


def test_stripe_intent_retry_endpoint_is_scoped_to_the_buyer(actors, settings):
    settings.PAYMENT_METHODS = ["bank_transfer", "cod", "stripe"]
    settings.STRIPE_SECRET_KEY = ""
    from tests.factories.orders import export_address, place

    checkout = place(
        actors["buyer"],
        (ProductFactory(), 1),
        payment_method="stripe",
        address=export_address(),
    )

    other = client_for(actors["other_staff"]).post(
        f"/api/v1/checkouts/{checkout.pk}/stripe-intent/"
    )
    mine = client_for(actors["buyer"]).post(f"/api/v1/checkouts/{checkout.pk}/stripe-intent/")

    assert other.status_code == 404
    assert (
        mine.status_code == 502 and mine.json()["code"] == "payment_provider_error"
    )  # no key configured


def place_two_cooperatives_checkout(client, idempotency_key):
    """The buyer's cart (one product) plus another cooperative's product, checked out: the
    placed checkout's answer, with its two orders."""
    other = ProductFactory(stock_qty=Decimal("10"))
    client.post("/api/v1/cart/lines/", {"product_id": other.pk, "quantity": "1"}, format="json")
    placed = client.post(
        "/api/v1/checkout/", checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY=idempotency_key
    ).json()
    assert len(placed["orders"]) == 2
    return placed


def test_a_checkout_reads_its_orders_as_the_order_detail_does_in_five_queries(
    buyer_with_cart, django_assert_num_queries
):
    # given a placed checkout of two cooperatives' orders
    user, _product = buyer_with_cart
    client = client_for(user)
    placed = place_two_cooperatives_checkout(client, "k-read")

    # when the checkout is read: the checkout, its orders with their cooperatives, lines,
    # timeline, payments; no buyer or checkout read again per order
    with django_assert_num_queries(5) as queries:
        detail = client.get(f"/api/v1/checkouts/{placed['id']}/").json()
    (orders_sql,) = [
        q["sql"] for q in queries.captured_queries if f'FROM "{Order._meta.db_table}"' in q["sql"]
    ]
    assert User._meta.db_table not in orders_sql and Checkout._meta.db_table not in orders_sql

    # then each order reads as the order detail shows it, and as the checkout answered
    assert detail == placed
    for order in detail["orders"]:
        assert client.get(f"/api/v1/orders/{order['code']}/").json() == order


def test_a_checkout_read_through_compiled_statements_is_the_querysets_read(
    buyer_with_cart, django_assert_num_queries
):
    # given a placed checkout of two cooperatives' orders, with a timeline event by the buyer
    from rest_framework.renderers import JSONRenderer

    from orders.apis.serializers import CheckoutOutput
    from orders.errors import NotFound
    from orders.selectors import checkout_detail_queryset, checkout_get_for_buyer

    user, _product = buyer_with_cart
    client = client_for(user)
    placed = place_two_cooperatives_checkout(client, "k-compiled")
    pk = placed["id"]
    OrderEvent.objects.create(order_id=placed["orders"][0]["id"], actor=user, kind="NOTE", note="n")

    def answer(checkout) -> bytes:
        return JSONRenderer().render(CheckoutOutput(checkout).data)

    # when it is read (twice: compiled, then kept) and by the queryset with its prefetches
    checkout_get_for_buyer(user=user, checkout_id=pk)
    with django_assert_num_queries(5):
        compiled = checkout_get_for_buyer(user=user, checkout_id=pk)
        got = answer(compiled)
    expected = checkout_detail_queryset(user=user, checkout_id=pk).get()

    # then the answer is the same, byte for byte, and reaching back reads nothing
    assert got == answer(expected)
    with django_assert_num_queries(0):
        assert [o.checkout is compiled for o in compiled.orders.all()] == [True, True]
        assert all(e.order.pk == o.pk for o in compiled.orders.all() for e in o.events.all())
    # and another buyer's, a missing and an out-of-range id are all not found
    for who, checkout_id in ((UserFactory(), pk), (user, pk + 1000), (user, 2**70)):
        with pytest.raises(NotFound):
            checkout_get_for_buyer(user=who, checkout_id=checkout_id)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_checkout_order_and_cart_answers_are_the_bytes_drf_would_write(
    buyer_with_cart, language
):
    # given a placed checkout of two cooperatives' orders, and the buyer's new cart
    from django.utils import timezone, translation
    from rest_framework.renderers import JSONRenderer

    from orders.apis.cart import CartOutput
    from orders.apis.serializers import CheckoutOutput, OrderOutput
    from orders.selectors import checkout_get_for_buyer, order_get_for_actor
    from orders.services.cart import cart_get_or_create, cart_refresh

    user, product = buyer_with_cart
    client = client_for(user)
    other = ProductFactory(stock_qty=Decimal("10"))
    client.post("/api/v1/cart/lines/", {"product_id": other.pk, "quantity": "1.5"}, format="json")
    placed = client.post(
        "/api/v1/checkout/",
        checkout_body(),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-bytes",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    cart = client.post(
        "/api/v1/cart/lines/",
        {"product_id": product.pk, "quantity": "3"},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert placed.status_code == 201 and cart.status_code in (200, 201)

    def drf(serializer_class, instance) -> bytes:  # what DRF itself writes
        return JSONRenderer().render(serializer_class(instance).data)

    # then each answer (shared fields, built once) is what a fresh DRF serializer writes,
    # in the request's language, and again in another time zone (read per answer)
    with translation.override(language):
        checkout = checkout_get_for_buyer(user=user, checkout_id=placed.json()["id"])
        assert placed.content == drf(CheckoutOutput, checkout)
        assert cart.content == drf(CartOutput, cart_refresh(cart=cart_get_or_create(user=user)))
        for code in [o["code"] for o in placed.json()["orders"]]:
            order = order_get_for_actor(user=user, code=code)
            answer = client.get(f"/api/v1/orders/{code}/", HTTP_ACCEPT_LANGUAGE=language)
            assert answer.content == drf(OrderOutput, order)
    with timezone.override("UTC"):
        again = client.get(f"/api/v1/checkouts/{checkout.pk}/", HTTP_ACCEPT_LANGUAGE=language)
        with translation.override(language):
            assert again.content == drf(CheckoutOutput, checkout)
    assert again.json()["created_at"].endswith("Z")
    assert placed.json()["created_at"].endswith("+07:00")
