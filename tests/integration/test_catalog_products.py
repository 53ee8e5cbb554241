"""Product services: rules, permissions, audit events and outbox rows."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from catalog import services
from catalog.errors import (
    InsufficientStock,
    ProductArchived,
    ProductIncomplete,
    ProductInvalid,
    TiersInvalid,
)
from catalog.models import PriceTier, Product, ProductEvent, ProductImage
from market.errors import CooperativeNotVerified, InvalidTransition, NotFound
from market.models import OutboxEvent
from tests.factories.catalog import CategoryFactory, DraftProductFactory, ProductFactory
from tests.factories.market import CooperativeFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The actors fixture makes five users per test; PBKDF2 would cost ~3 s each test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _data(**over):
    data = {
        "sku": "CF-1",
        "name_vi": "Cà phê Robusta rang mộc",
        "name_en": "Robusta coffee",
        "category_id": CategoryFactory(slug="ca-phe-robusta").pk,
        "unit": "KG",
        "price_vnd": 180_000,
        "min_order_qty": Decimal("2"),
        "order_step": Decimal("1"),
        "stock_qty": Decimal("50"),
        "hs_code": "0901.21",
    }
    return {**data, **over}


def _add_image(product):
    img = ProductImage(family=product.family, position=0, width=10, height=10, variants={})
    img.original.name = "products/x.webp"
    img.save()


def _counts():
    return Product.objects.count(), ProductEvent.objects.count(), OutboxEvent.objects.count()


def test_staff_creates_a_draft_product_with_an_event_and_an_outbox_row(actors):
    coop, staff = actors["coop"], actors["staff"]

    product = services.product_create(actor=staff, cooperative_id=coop.pk, data=_data())

    assert product.status == Product.Status.DRAFT
    assert product.slug == "ca-phe-robusta-rang-moc"
    event = ProductEvent.objects.get(product=product)
    assert (event.actor, event.action, event.changes["sku"]) == (staff, "created", "CF-1")
    assert list(OutboxEvent.objects.values_list("entity", "entity_id")) == [("product", product.pk)]


@pytest.mark.parametrize(
    "over, field",
    [
        ({"price_vnd": 0}, "price_vnd"),
        ({"price_vnd": -5000}, "price_vnd"),
        ({"min_order_qty": Decimal("3"), "order_step": Decimal("2")}, "min_order_qty"),
        ({"unit": "BARREL"}, "unit"),
        ({"category_id": 999_999}, "category"),
        ({"hs_code": "09A1"}, "hs_code"),
        ({"hs_code": "090"}, "hs_code"),
        (
            {"unit": "THUNG", "min_order_qty": Decimal("1.5"), "order_step": Decimal("0.5")},
            "min_order_qty",
        ),
        ({"stock_qty": Decimal("-1")}, "stock_qty"),
        ({"incoterms": ["FOB", "XYZ"]}, "incoterms"),
        ({"sku": " "}, "sku"),
    ],
)
def test_bad_product_input_is_rejected_with_the_field_named_and_nothing_stored(actors, over, field):
    coop, staff = actors["coop"], actors["staff"]
    before = _counts()

    with pytest.raises(ProductInvalid) as exc:
        services.product_create(actor=staff, cooperative_id=coop.pk, data=_data(**over))

    assert field in exc.value.fields
    assert exc.value.code == "product_invalid"
    assert _counts() == before


def test_fractional_quantities_are_fine_for_divisible_units(actors):
    coop, staff = actors["coop"], actors["staff"]

    product = services.product_create(
        actor=staff,
        cooperative_id=coop.pk,
        data=_data(
            min_order_qty=Decimal("2.5"), order_step=Decimal("0.5"), stock_qty=Decimal("12.5")
        ),
    )

    assert (product.min_order_qty, product.stock_qty) == (Decimal("2.5"), Decimal("12.5"))


def test_duplicate_sku_in_the_same_cooperative_is_rejected(actors):
    coop, staff = actors["coop"], actors["staff"]
    services.product_create(actor=staff, cooperative_id=coop.pk, data=_data())
    before = _counts()

    with pytest.raises(ProductInvalid) as exc:
        services.product_create(actor=staff, cooperative_id=coop.pk, data=_data(name_vi="Khác"))

    assert "sku" in exc.value.fields
    assert _counts() == before


@pytest.mark.parametrize("who", ["buyer", "other_staff", "admin"])
def test_only_staff_of_the_owning_cooperative_may_change_a_product(actors, who):
    product = ProductFactory(cooperative=actors["coop"], name_vi="Gạo ST25")
    before = _counts()
    actor, coop_id = actors[who], actors["coop"].pk

    calls = [
        lambda: services.product_update(
            actor=actor, cooperative_id=coop_id, product_id=product.pk, data={"name_vi": "Bị sửa"}
        ),
        lambda: services.product_archive(
            actor=actor, cooperative_id=coop_id, product_id=product.pk
        ),
        lambda: services.product_stock_adjust(
            actor=actor,
            cooperative_id=coop_id,
            product_id=product.pk,
            mode="set",
            quantity=Decimal("1"),
        ),
        lambda: services.product_price_tiers_set(
            actor=actor, cooperative_id=coop_id, product_id=product.pk, tiers=[]
        ),
        # their own cooperative id with someone else's product: still "not found"
        lambda: services.product_update(
            actor=actor,
            cooperative_id=actors["other_coop"].pk,
            product_id=product.pk,
            data={"name_vi": "Bị sửa"},
        ),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()

    product.refresh_from_db()
    assert (product.name_vi, product.status, product.stock_qty) == (
        "Gạo ST25",
        "ACTIVE",
        Decimal("100"),
    )
    assert _counts() == before


def test_update_records_only_what_changed(actors):
    product = DraftProductFactory(cooperative=actors["coop"], price_vnd=100_000)

    services.product_update(
        actor=actors["staff"],
        cooperative_id=actors["coop"].pk,
        product_id=product.pk,
        data={"price_vnd": 95_000, "name_en": product.name_en},
    )

    event = ProductEvent.objects.get(product=product)
    assert event.changes == {"price_vnd": [100_000, 95_000]}
    assert OutboxEvent.objects.filter(entity="product", entity_id=product.pk).count() == 1


def test_publish_needs_a_complete_product_and_names_what_is_missing(actors):
    product = DraftProductFactory(cooperative=actors["coop"], category=None, price_vnd=None)

    with pytest.raises(ProductIncomplete) as exc:
        services.product_publish(
            actor=actors["staff"], cooperative_id=actors["coop"].pk, product_id=product.pk
        )

    assert set(exc.value.fields) == {"price_vnd", "category", "images"}
    product.refresh_from_db()
    assert product.status == "DRAFT"
    assert ProductEvent.objects.count() == 0


def test_publish_needs_a_verified_cooperative(db):
    coop = CooperativeFactory(status="SUBMITTED")
    staff = MembershipFactory(cooperative=coop).user
    product = DraftProductFactory(cooperative=coop)
    _add_image(product)

    with pytest.raises(CooperativeNotVerified):
        services.product_publish(actor=staff, cooperative_id=coop.pk, product_id=product.pk)

    product.refresh_from_db()
    assert product.status == "DRAFT"


def test_publish_then_archive_then_republish(actors):
    product = DraftProductFactory(cooperative=actors["coop"])
    _add_image(product)
    kw = {"actor": actors["staff"], "cooperative_id": actors["coop"].pk, "product_id": product.pk}

    services.product_publish(**kw)
    services.product_archive(**kw)
    with pytest.raises(InvalidTransition):
        services.product_archive(**kw)
    with pytest.raises(ProductArchived):
        services.product_update(**kw, data={"price_vnd": 1000})
    services.product_publish(**kw)

    product.refresh_from_db()
    assert product.status == "ACTIVE" and product.published_at is not None
    assert list(ProductEvent.objects.filter(product=product).values_list("action", flat=True)) == [
        "published",
        "archived",
        "published",
    ]
    assert OutboxEvent.objects.filter(entity_id=product.pk).count() == 3


def test_an_active_product_cannot_lose_its_price(actors):
    product = ProductFactory(cooperative=actors["coop"])
    _add_image(product)

    with pytest.raises(ProductIncomplete):
        services.product_update(
            actor=actors["staff"],
            cooperative_id=actors["coop"].pk,
            product_id=product.pk,
            data={"price_vnd": None},
        )

    product.refresh_from_db()
    assert product.price_vnd == 120_000


def test_price_tiers_are_replaced_and_used_by_unit_price_for(actors):
    product = ProductFactory(cooperative=actors["coop"], price_vnd=120_000)

    services.product_price_tiers_set(
        actor=actors["staff"],
        cooperative_id=actors["coop"].pk,
        product_id=product.pk,
        tiers=[{"min_qty": "100", "price_vnd": 100_000}, {"min_qty": "10", "price_vnd": 110_000}],
    )

    product = Product.objects.get(pk=product.pk)
    assert [(t.min_qty, t.price_vnd) for t in product.price_tiers.all()] == [
        (Decimal("10"), 110_000),
        (Decimal("100"), 100_000),
    ]
    assert [product.unit_price_for(Decimal(q)) for q in ("5", "10", "99", "500")] == [
        120_000,
        110_000,
        110_000,
        100_000,
    ]
    assert ProductEvent.objects.get(product=product, action="tiers").changes["after"] == [
        ["10", 110_000],
        ["100", 100_000],
    ]


@pytest.mark.parametrize(
    "tiers",
    [
        [
            {"min_qty": "10", "price_vnd": 110_000},
            {"min_qty": "100", "price_vnd": 110_000},
        ],  # not decreasing
        [
            {"min_qty": "10", "price_vnd": 100_000},
            {"min_qty": "100", "price_vnd": 105_000},
        ],  # rising
        [{"min_qty": "10", "price_vnd": 120_000}],  # not below the base price
        [{"min_qty": "10", "price_vnd": 0}],
        [{"min_qty": "1", "price_vnd": 100_000}],  # not above the MOQ
        [
            {"min_qty": "10", "price_vnd": 110_000},
            {"min_qty": "10", "price_vnd": 100_000},
        ],  # same quantity
    ],
)
def test_bad_tiers_are_rejected_and_the_old_tiers_stay(actors, tiers):
    product = ProductFactory(cooperative=actors["coop"], price_vnd=120_000)
    PriceTier.objects.create(product=product, min_qty=Decimal("50"), price_vnd=115_000)
    before = _counts()

    with pytest.raises(TiersInvalid) as exc:
        services.product_price_tiers_set(
            actor=actors["staff"],
            cooperative_id=actors["coop"].pk,
            product_id=product.pk,
            tiers=tiers,
        )

    assert exc.value.fields["tiers"]
    assert list(PriceTier.objects.filter(product=product).values_list("min_qty", "price_vnd")) == [
        (Decimal("50"), 115_000)
    ]
    assert _counts() == before


def test_stock_adjustments_and_never_below_zero(actors):
    product = ProductFactory(cooperative=actors["coop"], stock_qty=Decimal("10"))
    kw = {"actor": actors["staff"], "cooperative_id": actors["coop"].pk, "product_id": product.pk}

    services.product_stock_adjust(**kw, mode="decrease", quantity=Decimal("2.5"))
    services.product_stock_adjust(**kw, mode="increase", quantity=Decimal("1"))
    with pytest.raises(InsufficientStock):
        services.product_stock_adjust(**kw, mode="decrease", quantity=Decimal("9"))
    with pytest.raises(ProductInvalid):
        services.product_stock_adjust(**kw, mode="set", quantity=Decimal("-1"))
    with pytest.raises(ProductInvalid):
        services.product_stock_adjust(**kw, mode="increase", quantity=Decimal("0"))

    product.refresh_from_db()
    assert product.stock_qty == Decimal("8.5")
    assert ProductEvent.objects.filter(product=product, action="stock").count() == 2
    assert OutboxEvent.objects.filter(entity_id=product.pk).count() == 2


def test_whole_units_refuse_fractional_stock(actors):
    product = ProductFactory(cooperative=actors["coop"], unit="THUNG", stock_qty=Decimal("10"))

    with pytest.raises(ProductInvalid):
        services.product_stock_adjust(
            actor=actors["staff"],
            cooperative_id=actors["coop"].pk,
            product_id=product.pk,
            mode="set",
            quantity=Decimal("2.5"),
        )

    product.refresh_from_db()
    assert product.stock_qty == Decimal("10")


def test_the_database_refuses_negative_stock_even_for_a_buggy_caller(db):
    product = ProductFactory(stock_qty=Decimal("1"))

    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(stock_qty=Decimal("-1"))

    product.refresh_from_db()
    assert product.stock_qty == Decimal("1")


def test_a_rolled_back_change_leaves_no_outbox_row_and_no_event(actors):
    product = DraftProductFactory(cooperative=actors["coop"], price_vnd=100_000)

    with pytest.raises(RuntimeError), transaction.atomic():
        services.product_update(
            actor=actors["staff"],
            cooperative_id=actors["coop"].pk,
            product_id=product.pk,
            data={"price_vnd": 90_000},
        )
        raise RuntimeError("the caller fails after the change")

    product.refresh_from_db()
    assert product.price_vnd == 100_000
    assert OutboxEvent.objects.count() == 0
    assert ProductEvent.objects.count() == 0


@pytest.mark.parametrize(
    "over, field",
    [
        ({"availability": "PRE_ORDER"}, "harvest_start"),
        ({"availability": "SEASONAL"}, "season_months"),
        ({"availability": "SEASONAL", "season_months": [0, 13]}, "season_months"),
        (
            {"harvest_start": datetime.date(2027, 6, 1), "harvest_end": datetime.date(2027, 5, 1)},
            "harvest_end",
        ),
    ],
)
def test_availability_needs_its_dates(actors, over, field):
    with pytest.raises(ProductInvalid) as exc:
        services.product_create(
            actor=actors["staff"], cooperative_id=actors["coop"].pk, data=_data(**over)
        )

    assert field in exc.value.fields
    assert Product.objects.count() == 0


def test_a_pre_order_with_its_harvest_window(actors):
    product = services.product_create(
        actor=actors["staff"],
        cooperative_id=actors["coop"].pk,
        data=_data(
            availability="PRE_ORDER",
            harvest_start=datetime.date(2027, 5, 1),
            harvest_end=datetime.date(2027, 7, 31),
        ),
    )

    assert (product.availability, product.harvest_end) == ("PRE_ORDER", datetime.date(2027, 7, 31))
