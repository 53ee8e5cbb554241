"""Cart services: orderability rules, prices from the database, change messages, merge at login."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import PriceTier, Product
from market.models import Cooperative
from orders.errors import (
    BelowMinimumOrder,
    NotDivisible,
    NotPurchasable,
    OffOrderStep,
    OutOfStock,
    QuantityInvalid,
)
from orders.models import Cart, CartLine
from orders.services.cart import (
    cart_change,
    cart_get_for_user,
    cart_get_or_create,
    cart_line_remove,
    cart_line_set,
    cart_merge,
    cart_refresh,
)
from tests.factories.catalog import ProductFactory
from tests.factories.market import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cart():
    return cart_get_or_create(user=UserFactory())


def test_add_then_add_again_sums_quantities(cart):
    product = ProductFactory()

    cart_line_set(cart=cart, product_id=product.pk, quantity="2", add=True)
    cart_line_set(cart=cart, product_id=product.pk, quantity="3", add=True)

    line = CartLine.objects.get(cart=cart)
    assert line.quantity == Decimal("5") and line.unit_price_seen == 120_000


def test_tier_price_applies_from_its_minimum(cart):
    product = ProductFactory(price_vnd=100_000)
    PriceTier.objects.create(product=product, min_qty=Decimal("10"), price_vnd=90_000)

    cart_line_set(cart=cart, product_id=product.pk, quantity="10")

    view = cart_refresh(cart=cart)
    assert (
        view.lines[0].unit_price_vnd == 90_000
        and view.subtotal_vnd == 900_000
        and view.messages == []
    )


@pytest.mark.parametrize(
    "product_kw, qty, error",
    [
        ({"min_order_qty": Decimal("5")}, "4", BelowMinimumOrder),
        ({"order_step": Decimal("2"), "min_order_qty": Decimal("2")}, "3", OffOrderStep),
        ({"unit": "THUNG"}, "1.5", NotDivisible),
        ({}, "0", QuantityInvalid),
        ({}, "-1", QuantityInvalid),
        ({}, "abc", QuantityInvalid),
        ({}, "1.0001", QuantityInvalid),
        ({"stock_qty": Decimal("3")}, "4", OutOfStock),
    ],
)
def test_unorderable_quantities_are_refused_and_nothing_changes(cart, product_kw, qty, error):
    product = ProductFactory(**product_kw)

    with pytest.raises(error):
        cart_line_set(cart=cart, product_id=product.pk, quantity=qty)

    assert CartLine.objects.count() == 0


def test_divisible_unit_accepts_fractions(cart):
    product = ProductFactory(unit="KG", min_order_qty=Decimal("0.5"), order_step=Decimal("0.5"))

    cart_line_set(cart=cart, product_id=product.pk, quantity="2.5")

    assert CartLine.objects.get().quantity == Decimal("2.5")


@pytest.mark.parametrize("change", ["archived", "suspended", "draft"])
def test_products_that_cannot_be_bought_are_refused(cart, change):
    product = ProductFactory()
    if change == "archived":
        Product.objects.filter(pk=product.pk).update(status=Product.Status.ARCHIVED)
    elif change == "draft":
        Product.objects.filter(pk=product.pk).update(status=Product.Status.DRAFT)
    else:
        Cooperative.objects.filter(pk=product.cooperative_id).update(
            status=Cooperative.Status.SUSPENDED
        )

    with pytest.raises(NotPurchasable):
        cart_line_set(cart=cart, product_id=product.pk, quantity="1")

    assert CartLine.objects.count() == 0


def test_unknown_product_is_not_purchasable(cart):
    with pytest.raises(NotPurchasable):
        cart_line_set(cart=cart, product_id=999_999, quantity="1")


@pytest.mark.parametrize("product_id", [999_999, 2**70])
def test_a_change_for_an_unknown_or_out_of_range_product_is_refused_and_changes_nothing(
    cart, product_id
):
    with pytest.raises(NotPurchasable):
        cart_change(cart=cart, product_id=product_id, quantity="1")

    assert CartLine.objects.count() == 0


def test_a_buyers_cart_is_found_made_once_and_never_another_buyers():
    # given a buyer with a cart (with a line) and one without
    buyer, other = UserFactory(), UserFactory()
    mine = cart_get_or_create(user=buyer)
    cart_change(cart=mine, product_id=ProductFactory().pk, quantity="1")

    # when each asks for their cart, read-only then read-or-make, twice
    found = [cart_get_for_user(user=buyer), cart_get_or_create(user=buyer)]
    before = cart_get_for_user(user=other)
    made = [cart_get_or_create(user=other), cart_get_or_create(user=other)]

    # then the buyer gets their own cart each time; the other had none (asking made none),
    # then one cart made once, empty
    assert [c.pk for c in found] == [mine.pk, mine.pk] and found[0].user_id == buyer.pk
    assert before is None
    assert made[0].pk == made[1].pk != mine.pk and made[0].user_id == other.pk
    assert Cart.objects.filter(user=other).count() == 1
    assert not CartLine.objects.filter(cart=made[0]).exists()


def test_refresh_reports_price_change_and_remembers_new_price(cart):
    product = ProductFactory(price_vnd=100_000)
    cart_line_set(cart=cart, product_id=product.pk, quantity="1")
    Product.objects.filter(pk=product.pk).update(price_vnd=110_000)

    view = cart_refresh(cart=cart)

    assert [m["code"] for m in view.messages] == ["price_changed"]
    assert (
        view.messages[0]["old_price_vnd"] == 100_000
        and view.messages[0]["new_price_vnd"] == 110_000
    )
    assert CartLine.objects.get().unit_price_seen == 110_000
    assert cart_refresh(cart=cart).messages == []


def test_refresh_shrinks_to_stock_respecting_the_step(cart):
    product = ProductFactory(
        order_step=Decimal("2"), min_order_qty=Decimal("2"), stock_qty=Decimal("10")
    )
    cart_line_set(cart=cart, product_id=product.pk, quantity="8")
    Product.objects.filter(pk=product.pk).update(stock_qty=Decimal("5"))

    view = cart_refresh(cart=cart)

    assert [m["code"] for m in view.messages] == ["stock_reduced"]
    assert CartLine.objects.get().quantity == Decimal("4")


def test_refresh_removes_out_of_stock_and_withdrawn_lines(cart):
    gone = ProductFactory(stock_qty=Decimal("5"))
    withdrawn = ProductFactory()
    kept = ProductFactory()
    for p in (gone, withdrawn, kept):
        cart_line_set(cart=cart, product_id=p.pk, quantity="1")
    Product.objects.filter(pk=gone.pk).update(stock_qty=Decimal("0"))
    Product.objects.filter(pk=withdrawn.pk).update(status=Product.Status.ARCHIVED)

    view = cart_refresh(cart=cart)

    assert sorted(m["code"] for m in view.messages) == ["out_of_stock", "product_withdrawn"]
    assert [pl.product.pk for pl in view.lines] == [kept.pk]
    assert list(CartLine.objects.values_list("product_id", flat=True)) == [kept.pk]


def test_remove_line(cart):
    product = ProductFactory()
    cart_line_set(cart=cart, product_id=product.pk, quantity="1")

    assert cart_line_remove(cart=cart, product_id=product.pk) is True
    assert cart_line_remove(cart=cart, product_id=product.pk) is False
    assert CartLine.objects.count() == 0


def test_a_change_answers_the_whole_cart_repriced_with_its_messages(cart):
    older = ProductFactory(price_vnd=100_000)
    added = ProductFactory(price_vnd=50_000)
    PriceTier.objects.create(product=added, min_qty=Decimal("10"), price_vnd=45_000)
    cart_line_set(cart=cart, product_id=older.pk, quantity="1")
    Product.objects.filter(pk=older.pk).update(price_vnd=110_000)
    before = Cart.objects.get(pk=cart.pk).updated_at

    view = cart_change(cart=cart, product_id=added.pk, quantity="10", add=True)

    assert [(pl.product.pk, pl.quantity, pl.unit_price_vnd) for pl in view.lines] == [
        (older.pk, Decimal("1"), 110_000),
        (added.pk, Decimal("10"), 45_000),
    ]
    assert [(m["code"], m["product_id"]) for m in view.messages] == [("price_changed", older.pk)]
    assert view.subtotal_vnd == 110_000 + 450_000
    assert sorted(CartLine.objects.values_list("product_id", "unit_price_seen")) == sorted(
        [(older.pk, 110_000), (added.pk, 45_000)]
    )
    assert Cart.objects.get(pk=cart.pk).updated_at > before


def test_a_change_adds_to_a_line_and_removes_one(cart):
    a, b = ProductFactory(), ProductFactory()
    cart_change(cart=cart, product_id=a.pk, quantity="2", add=True)
    cart_change(cart=cart, product_id=b.pk, quantity="1", add=True)

    added = cart_change(cart=cart, product_id=a.pk, quantity="3", add=True)
    removed = cart_change(cart=cart, product_id=b.pk, quantity=None)
    again = cart_change(cart=cart, product_id=b.pk, quantity=None)

    assert [(pl.product.pk, pl.quantity) for pl in added.lines] == [
        (a.pk, Decimal("5")),
        (b.pk, Decimal("1")),
    ]
    assert [(pl.product.pk, pl.quantity) for pl in removed.lines] == [(a.pk, Decimal("5"))]
    assert [(pl.product.pk, pl.quantity) for pl in again.lines] == [(a.pk, Decimal("5"))]
    assert list(CartLine.objects.values_list("product_id", "quantity")) == [(a.pk, Decimal("5"))]


@pytest.mark.parametrize(
    "product_kw, qty, error",
    [
        ({"stock_qty": Decimal("3")}, "2", OutOfStock),  # 2 in the cart + 2 > 3
        ({"min_order_qty": Decimal("1")}, "abc", QuantityInvalid),
        ({"status": Product.Status.ARCHIVED}, "1", NotPurchasable),
    ],
)
def test_a_refused_change_changes_nothing(cart, product_kw, qty, error):
    kept = ProductFactory()
    cart_line_set(cart=cart, product_id=kept.pk, quantity="1")
    product = ProductFactory(stock_qty=Decimal("10"))
    cart_line_set(cart=cart, product_id=product.pk, quantity="2")
    Product.objects.filter(pk=product.pk).update(**product_kw)
    lines = list(
        CartLine.objects.order_by("id").values_list("product_id", "quantity", "updated_at")
    )
    touched = Cart.objects.get(pk=cart.pk).updated_at

    with pytest.raises(error):
        cart_change(cart=cart, product_id=product.pk, quantity=qty, add=True)

    assert (
        list(CartLine.objects.order_by("id").values_list("product_id", "quantity", "updated_at"))
        == lines
    )
    assert Cart.objects.get(pk=cart.pk).updated_at == touched


def test_a_change_to_a_cart_of_three_lines_takes_five_statements(cart):
    tiered = []
    for _i in range(3):
        product = ProductFactory(price_vnd=100_000)
        PriceTier.objects.create(product=product, min_qty=Decimal("10"), price_vnd=90_000)
        cart_line_set(cart=cart, product_id=product.pk, quantity="10")
        tiered.append(product)
    new = ProductFactory(price_vnd=100_000)
    PriceTier.objects.create(product=new, min_qty=Decimal("10"), price_vnd=80_000)

    with CaptureQueriesContext(connection) as q:
        view = cart_change(cart=cart, product_id=new.pk, quantity="10", add=True)

    statements = [x["sql"].split()[0] for x in q.captured_queries if "SAVEPOINT" not in x["sql"]]
    # lock the cart; its lines; the new product; every product's price tiers in one read (it
    # was two: the lines', then the new product's); the insert
    assert statements == ["UPDATE", "SELECT", "SELECT", "SELECT", "INSERT"]
    assert sum('"catalog_pricetier"' in x["sql"] for x in q.captured_queries) == 1
    # each line priced at its own tier, the new one too
    assert [ln.unit_price_vnd for ln in view.lines] == [90_000, 90_000, 90_000, 80_000]
    assert CartLine.objects.get(cart=cart, product=new).unit_price_seen == 80_000


def test_merge_moves_guest_lines_and_sums_shared_products():
    user = UserFactory()
    shared, guest_only = ProductFactory(), ProductFactory()
    mine = cart_get_or_create(user=user)
    cart_line_set(cart=mine, product_id=shared.pk, quantity="2")
    guest = cart_get_or_create(session_key="s3ss10n")
    cart_line_set(cart=guest, product_id=shared.pk, quantity="3")
    cart_line_set(cart=guest, product_id=guest_only.pk, quantity="1")

    merged = cart_merge(user=user, session_key="s3ss10n")
    again = cart_merge(user=user, session_key="s3ss10n")

    assert merged.pk == again.pk == mine.pk
    assert dict(CartLine.objects.values_list("product_id", "quantity")) == {
        shared.pk: Decimal("5"),
        guest_only.pk: Decimal("1"),
    }
    assert not Cart.objects.filter(session_key="s3ss10n").exists()


def test_merge_keeps_the_larger_quantity_when_the_sum_exceeds_stock():
    user = UserFactory()
    product = ProductFactory(stock_qty=Decimal("4"))
    cart_line_set(cart=cart_get_or_create(user=user), product_id=product.pk, quantity="3")
    cart_line_set(cart=cart_get_or_create(session_key="g"), product_id=product.pk, quantity="2")

    cart_merge(user=user, session_key="g")

    assert CartLine.objects.get().quantity == Decimal("3")
