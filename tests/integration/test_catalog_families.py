"""Product families and variants: one edit of what is shared reaches every variant; what sells
is a variant (cart, checkout, stock, order line snapshot); every bad input gets a specific error
and changes nothing."""

from decimal import Decimal

import pytest

from catalog.errors import LastVariant, ProductInvalid, VariantInOrders
from catalog.models import PriceTier, Product, ProductEvent, ProductFamily
from catalog.services import families as svc
from market.errors import NotFound
from market.models import OutboxEvent
from tests.factories.catalog import CategoryFactory, family_with_variants
from tests.factories.orders import place

pytestmark = pytest.mark.django_db

PACKS = ({"pack": "túi 250 g", "crop_year": "2025"}, {"pack": "bao 5 kg", "crop_year": "2025"})


def _variant(sku, pack, crop="2025", **over):
    return {
        "sku": sku,
        "options": {"pack": pack, "crop_year": crop},
        "unit": "GOI",
        "price_vnd": 49_000,
        "min_order_qty": Decimal("2"),
        "order_step": Decimal("1"),
        "stock_qty": Decimal("40"),
        **over,
    }


def _snapshot():
    return (
        list(Product.objects.order_by("pk").values()),
        list(ProductFamily.objects.order_by("pk").values()),
        PriceTier.objects.count(),
        ProductEvent.objects.count(),
        OutboxEvent.objects.count(),
    )


def _family(actors, *variants, **data):
    return svc.family_create(
        actor=actors["staff"],
        cooperative_id=actors["coop"].pk,
        data={
            "name_vi": "Cà phê Robusta Cư M'gar",
            "category_id": CategoryFactory().pk,
            "hs_code": "0901.11",
            **data,
        },
        variants=list(variants) or [_variant("R-250", "túi 250 g"), _variant("R-5K", "bao 5 kg")],
    )


def test_a_family_is_created_with_its_variants_and_shares_its_content(actors):
    family = _family(actors)

    variants = list(family.variants.order_by("position"))
    assert [v.sku for v in variants] == ["R-250", "R-5K"]
    assert [v.variant_label for v in variants] == ["túi 250 g · 2025", "bao 5 kg · 2025"]
    assert all(v.status == Product.Status.DRAFT for v in variants)
    assert {(v.name_vi, v.hs_code, v.category_id) for v in variants} == {
        (family.name_vi, "0901.11", family.category_id)
    }
    assert ProductEvent.objects.filter(action="created").count() == 2


def test_one_edit_of_the_family_reaches_every_variant_and_the_search_outbox(actors):
    family = _family(actors)
    ids = sorted(family.variants.values_list("pk", flat=True))
    OutboxEvent.objects.all().delete()

    svc.family_update(
        actor=actors["staff"],
        cooperative_id=actors["coop"].pk,
        family_id=family.pk,
        data={"description_vi": "Thu hái chín, phơi giàn.", "incoterms": ["FOB"]},
    )

    rows = Product.objects.filter(family=family).values_list("description_vi", "incoterms")
    assert list(rows) == [("Thu hái chín, phơi giàn.", ["FOB"])] * 2
    family.refresh_from_db()
    assert family.description_vi == "Thu hái chín, phơi giàn."
    assert sorted(set(OutboxEvent.objects.values_list("entity_id", flat=True))) == ids
    assert ProductEvent.objects.filter(action="family_updated").count() == 2


def test_a_variant_edit_of_a_shared_field_goes_to_the_family_and_its_siblings(actors):
    from catalog.services import product_update

    family, (a, b) = family_with_variants(*PACKS, cooperative=actors["coop"])

    product_update(
        actor=actors["staff"],
        cooperative_id=actors["coop"].pk,
        product_id=a.pk,
        data={"name_vi": "Cà phê Robusta S18", "price_vnd": 99_000},
    )

    b.refresh_from_db()
    family.refresh_from_db()
    assert (family.name_vi, b.name_vi) == ("Cà phê Robusta S18", "Cà phê Robusta S18")
    assert b.price_vnd == 130_000  # the price is the variant's own
    assert Product.objects.get(pk=a.pk).price_vnd == 99_000


@pytest.mark.parametrize(
    "variants, field",
    [
        # two variants with the same option values (case and spaces do not make them differ)
        ([_variant("A-1", "túi 250 g"), _variant("A-2", " TÚI 250 G ")], "options"),
        # an option value its kind does not allow, and an unknown kind
        ([_variant("A-1", "túi 250 g", crop="vụ mới")], "options"),
        ([{**_variant("A-1", "x"), "options": {"colour": "red"}}], "options"),
        # the same SKU twice in one family
        ([_variant("A-1", "túi 250 g"), _variant("A-1", "bao 5 kg")], "sku"),
    ],
)
def test_bad_variants_create_nothing(actors, variants, field):
    before = _snapshot()

    with pytest.raises(ProductInvalid) as exc:
        _family(actors, *variants)

    assert field in exc.value.fields["variants"][len(variants) - 1]
    assert _snapshot() == before


def test_an_option_value_its_kind_does_not_allow_names_the_kind(actors):
    family, _ = family_with_variants(*PACKS, cooperative=actors["coop"])
    before = _snapshot()

    with pytest.raises(ProductInvalid) as exc:
        svc.variant_add(
            actor=actors["staff"],
            cooperative_id=actors["coop"].pk,
            family_id=family.pk,
            data=_variant("R-X", "túi 1 kg", crop="1890"),
        )

    assert exc.value.code == "product_invalid"
    assert "crop_year" in exc.value.fields["options"]
    assert _snapshot() == before


def test_adding_a_variant_with_the_options_of_another_is_refused(actors):
    family, _ = family_with_variants(*PACKS, cooperative=actors["coop"])
    before = _snapshot()

    with pytest.raises(ProductInvalid) as exc:
        svc.variant_add(
            actor=actors["staff"],
            cooperative_id=actors["coop"].pk,
            family_id=family.pk,
            data=_variant("NEW-1", "Túi 250 g"),
        )

    assert "túi 250 g · 2025" in str(exc.value.fields["options"]).lower()
    assert _snapshot() == before


def test_a_sku_already_used_in_the_cooperative_is_refused(actors):
    family, (a, _b) = family_with_variants(*PACKS, cooperative=actors["coop"])
    before = _snapshot()

    with pytest.raises(ProductInvalid) as exc:
        svc.variant_add(
            actor=actors["staff"],
            cooperative_id=actors["coop"].pk,
            family_id=family.pk,
            data=_variant(a.sku, "túi 1 kg"),
        )

    assert set(exc.value.fields) == {"sku"}
    assert _snapshot() == before


def test_adding_a_variant_to_another_cooperatives_family_is_not_found(actors):
    family, _ = family_with_variants(*PACKS, cooperative=actors["other_coop"])
    before = _snapshot()

    with pytest.raises(NotFound):
        svc.variant_add(
            actor=actors["staff"],
            cooperative_id=actors["coop"].pk,
            family_id=family.pk,
            data=_variant("MINE-1", "túi 1 kg"),
        )
    with pytest.raises(NotFound):  # nor by naming the other cooperative
        svc.variant_add(
            actor=actors["staff"],
            cooperative_id=actors["other_coop"].pk,
            family_id=family.pk,
            data=_variant("MINE-1", "túi 1 kg"),
        )

    assert _snapshot() == before


def test_the_last_variant_of_a_published_family_cannot_be_deleted(actors):
    family, (a, b) = family_with_variants(*PACKS, cooperative=actors["coop"])
    staff, coop_id = actors["staff"], actors["coop"].pk
    svc.variant_delete(actor=staff, cooperative_id=coop_id, variant_id=b.pk)
    before = _snapshot()

    with pytest.raises(LastVariant) as exc:
        svc.variant_delete(actor=staff, cooperative_id=coop_id, variant_id=a.pk)

    assert exc.value.status == 409 and exc.value.code == "last_variant"
    assert _snapshot() == before
    assert list(family.variants.values_list("pk", flat=True)) == [a.pk]


def test_a_variant_that_was_ordered_is_archived_not_deleted(actors):
    family, (a, b) = family_with_variants(*PACKS, cooperative=actors["coop"])
    place(actors["buyer"], (b, 1))
    before = _snapshot()

    with pytest.raises(VariantInOrders):
        svc.variant_delete(actor=actors["staff"], cooperative_id=actors["coop"].pk, variant_id=b.pk)

    assert _snapshot() == before


def test_the_last_variant_of_a_draft_family_takes_the_family_with_it(actors):
    family = _family(actors, _variant("ONLY-1", "túi 250 g"))
    variant = family.variants.get()

    svc.variant_delete(
        actor=actors["staff"], cooperative_id=actors["coop"].pk, variant_id=variant.pk
    )

    assert not ProductFamily.objects.filter(pk=family.pk).exists()
    assert not Product.objects.filter(pk=variant.pk).exists()


def test_bulk_edit_sets_prices_and_stock_of_several_variants_at_once(actors):
    family, (a, b) = family_with_variants(*PACKS, cooperative=actors["coop"])
    PriceTier.objects.create(product=b, min_qty=Decimal("10"), price_vnd=125_000)

    svc.variants_bulk_edit(
        actor=actors["staff"],
        cooperative_id=actors["coop"].pk,
        family_id=family.pk,
        rows=[
            {"variant_id": a.pk, "price_vnd": "55000", "stock_qty": "12"},
            {"variant_id": b.pk, "price_vnd": 120_000, "stock_qty": ""},
        ],
    )

    a.refresh_from_db(), b.refresh_from_db()
    assert (a.price_vnd, a.stock_qty, b.price_vnd, b.stock_qty) == (
        55_000,
        Decimal("12"),
        120_000,
        Decimal("100"),
    )
    assert not b.price_tiers.exists()  # a tier at or above the new price cannot stay
    assert ProductEvent.objects.filter(product=a, action="stock").count() == 1


def test_bulk_edit_is_all_or_nothing(actors):
    family, (a, b) = family_with_variants(*PACKS, cooperative=actors["coop"])
    before = _snapshot()

    with pytest.raises(ProductInvalid) as exc:
        svc.variants_bulk_edit(
            actor=actors["staff"],
            cooperative_id=actors["coop"].pk,
            family_id=family.pk,
            rows=[
                {"variant_id": a.pk, "price_vnd": 55_000},
                {"variant_id": b.pk, "stock_qty": "-3"},
            ],
        )

    assert set(exc.value.fields["rows"]) == {1}
    assert _snapshot() == before


def test_two_variants_of_one_family_are_sold_each_from_its_own_stock(actors):
    family, (a, b) = family_with_variants(*PACKS, cooperative=actors["coop"])

    checkout = place(actors["buyer"], (a, 3), (b, 2))

    order = checkout.orders.get()
    lines = list(order.lines.order_by("product_id"))
    assert [(ln.product_id, ln.quantity, ln.unit_price_vnd) for ln in lines] == [
        (a.pk, Decimal("3"), 120_000),
        (b.pk, Decimal("2"), 130_000),
    ]
    assert [ln.product_name for ln in lines] == [
        "Cà phê Robusta Đắk Lắk — túi 250 g · 2025",
        "Cà phê Robusta Đắk Lắk — bao 5 kg · 2025",
    ]
    a.refresh_from_db(), b.refresh_from_db()
    assert (a.stock_qty, b.stock_qty) == (Decimal("97"), Decimal("98"))
