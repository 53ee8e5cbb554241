"""Families over the API: public list with variants and price range, staff create/edit/bulk,
variant_id in the cart, the deprecated product_id for one-variant families only, and the
bad-input answers ({code, message, fields}, nothing changed)."""

import pytest

from catalog.models import Product, ProductFamily
from orders.models import CartLine
from tests.conftest import client_for
from tests.factories.catalog import CategoryFactory, ProductFactory, family_with_variants

pytestmark = pytest.mark.django_db

PACKS = (
    {"pack": "túi 250 g", "crop_year": "2025"},
    {"pack": "bao 5 kg", "crop_year": "2025"},
    {"pack": "bao 5 kg", "crop_year": "2026"},
)


def test_products_lists_families_with_their_purchasable_variants_and_price_range():
    family, (a, b, c) = family_with_variants(*PACKS)
    Product.objects.filter(pk=c.pk).update(status=Product.Status.DRAFT)  # not shown to buyers
    single = ProductFactory(price_vnd=49_000)

    body = client_for(None).get("/api/v1/products/").json()

    by_id = {f["id"]: f for f in body["results"]}
    assert body["count"] == 2 and set(by_id) == {family.pk, single.family_id}
    shown = by_id[family.pk]
    assert [v["id"] for v in shown["variants"]] == [a.pk, b.pk]
    assert [v["label"] for v in shown["variants"]] == ["túi 250 g · 2025", "bao 5 kg · 2025"]
    assert (shown["price_min_vnd"], shown["price_max_vnd"]) == (120_000, 130_000)
    assert shown["variant_count"] == 2
    assert shown["option_values"] == {"pack": ["túi 250 g", "bao 5 kg"], "crop_year": ["2025"]}
    assert shown["images"][0]["is_cover"] is True
    assert by_id[single.family_id]["variants"][0]["options"] == {}


def test_family_detail_is_public_only_while_a_variant_is_purchasable():
    family, variants = family_with_variants(*PACKS[:1])
    anonymous = client_for(None)

    ok = anonymous.get(f"/api/v1/families/{family.pk}/")
    Product.objects.filter(family=family).update(status=Product.Status.ARCHIVED)
    gone = anonymous.get(f"/api/v1/families/{family.pk}/")

    assert ok.status_code == 200 and ok.json()["variants"][0]["id"] == variants[0].pk
    assert gone.status_code == 404 and gone.json()["code"] == "not_found"


def test_staff_create_a_family_with_variants_then_bulk_edit_them(actors):
    staff = client_for(actors["staff"])
    coop = actors["coop"]
    body = {
        "name_vi": "Cà phê Arabica Cầu Đất",
        "category": CategoryFactory().pk,
        "variants": [
            {"sku": "A-250", "options": {"pack": "túi 250 g"}, "unit": "GOI", "price_vnd": 79000},
            {"sku": "A-1K", "options": {"pack": "hộp 1 kg"}, "unit": "HOP", "price_vnd": 290000},
        ],
    }

    made = staff.post(f"/api/v1/cooperatives/{coop.pk}/families/", body, format="json")
    family = made.json()
    ids = [v["id"] for v in family["variants"]]
    bulk = staff.post(
        f"/api/v1/cooperatives/{coop.pk}/families/{family['id']}/variants/bulk/",
        {"rows": [{"variant_id": ids[0], "price_vnd": 75000, "stock_qty": "30"}]},
        format="json",
    )

    assert made.status_code == 201 and [v["sku"] for v in family["variants"]] == ["A-250", "A-1K"]
    assert bulk.status_code == 200
    assert (bulk.json()["variants"][0]["price_vnd"], bulk.json()["variants"][0]["stock_qty"]) == (
        75000,
        "30.000",
    )


@pytest.mark.parametrize(
    "variants, status, code",
    [
        (
            [
                {"sku": "X-1", "options": {"pack": "1 kg"}},
                {"sku": "X-2", "options": {"pack": "1 KG"}},
            ],
            400,
            "product_invalid",
        ),
        ([{"sku": "X-1", "options": {"crop_year": "năm ngoái"}}], 400, "product_invalid"),
        ([{"sku": "X-1", "options": {"colour": "đỏ"}}], 400, "product_invalid"),
        ([], 400, "validation_failed"),
    ],
)
def test_bad_families_are_refused_and_nothing_is_stored(actors, variants, status, code):
    body = {"name_vi": "Hạt tiêu", "variants": variants}

    response = client_for(actors["staff"]).post(
        f"/api/v1/cooperatives/{actors['coop'].pk}/families/", body, format="json"
    )

    assert response.status_code == status and response.json()["code"] == code
    assert response.json()["fields"]
    assert not ProductFamily.objects.exists() and not Product.objects.exists()


def test_another_cooperatives_family_is_not_found_and_unchanged(actors):
    family, _ = family_with_variants(*PACKS[:1], cooperative=actors["other_coop"])
    staff = client_for(actors["staff"])
    coop_id = actors["coop"].pk

    add = staff.post(
        f"/api/v1/cooperatives/{coop_id}/families/{family.pk}/variants/",
        {"sku": "MINE", "options": {"pack": "5 kg"}},
        format="json",
    )
    edit = staff.patch(
        f"/api/v1/cooperatives/{coop_id}/families/{family.pk}/", {"name_vi": "x"}, format="json"
    )

    assert (add.status_code, edit.status_code) == (404, 404)
    assert family.variants.count() == 1
    assert ProductFamily.objects.get(pk=family.pk).name_vi == family.name_vi


def test_deleting_the_last_variant_of_a_published_family_is_refused(actors):
    family, (only,) = family_with_variants(*PACKS[:1], cooperative=actors["coop"])

    response = client_for(actors["staff"]).delete(
        f"/api/v1/cooperatives/{actors['coop'].pk}/products/{only.pk}/"
    )

    assert response.status_code == 409 and response.json()["code"] == "last_variant"
    assert Product.objects.filter(pk=only.pk).exists()


def test_the_cart_takes_variant_id_and_product_id_only_for_a_one_variant_family():
    family, (a, b, _c) = family_with_variants(*PACKS)
    single = ProductFactory()
    guest = client_for(None)

    by_variant = guest.post("/api/v1/cart/lines/", {"variant_id": b.pk, "quantity": "2"})
    legacy = guest.post("/api/v1/cart/lines/", {"product_id": single.pk, "quantity": "1"})
    ambiguous = guest.post("/api/v1/cart/lines/", {"product_id": a.pk, "quantity": "1"})
    neither = guest.post("/api/v1/cart/lines/", {"quantity": "1"})

    assert by_variant.status_code == 200
    line = by_variant.json()["lines"][0]
    assert (line["variant_id"], line["family_id"], line["options"]) == (b.pk, family.pk, PACKS[1])
    assert line["name"] == f"{family.name_vi} — bao 5 kg · 2025"
    assert legacy.status_code == 200
    assert ambiguous.status_code == 400 and ambiguous.json()["code"] == "variant_required"
    assert neither.status_code == 400 and "variant_id" in neither.json()["fields"]
    assert sorted(CartLine.objects.values_list("product_id", flat=True)) == sorted(
        [b.pk, single.pk]
    )


def test_the_schema_marks_product_id_deprecated_in_the_cart():
    schema = client_for(None).get("/api/schema/", HTTP_ACCEPT="application/json")
    text = schema.content.decode()

    assert schema.status_code == 200
    assert "Deprecated: use variant_id" in text
