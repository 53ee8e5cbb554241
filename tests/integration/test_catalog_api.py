"""Catalog API: the permission matrix over actors, and each endpoint's happy and bad paths."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import Category, Product, ProductEvent, ProductImage
from market.models import OutboxEvent
from tests.conftest import client_for
from tests.factories.catalog import CategoryFactory, DraftProductFactory, ProductFactory, jpeg_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _state():
    return (
        Product.objects.count(),
        ProductEvent.objects.count(),
        OutboxEvent.objects.count(),
        ProductImage.objects.count(),
        list(Product.objects.order_by("pk").values_list("name_vi", "status", "stock_qty")),
    )


WRITES = [
    ("post", "products/", {"sku": "N-1", "name_vi": "Mới", "unit": "KG", "price_vnd": 1000}),
    ("patch", "products/{p}/", {"name_vi": "Bị sửa"}),
    ("post", "products/{p}/archive/", {}),
    ("post", "products/{p}/publish/", {}),
    ("put", "products/{p}/price-tiers/", {"tiers": []}),
    ("post", "products/{p}/stock/", {"mode": "set", "quantity": "1"}),
    ("post", "products/{p}/images/reorder/", {"image_ids": []}),
    ("get", "products/{p}/", None),
    ("get", "products/", None),
]
EXPECTED = {"anonymous": 401, "buyer": 404, "other_staff": 404, "admin": 404}


@pytest.mark.parametrize("who", ["anonymous", "buyer", "other_staff", "admin"])
@pytest.mark.parametrize("method, path, body", WRITES)
def test_permission_matrix_outsiders_get_a_specific_answer_and_nothing_changes(
    actors, who, method, path, body
):
    product = ProductFactory(cooperative=actors["coop"], name_vi="Gạo ST25")
    url = f"/api/v1/cooperatives/{actors['coop'].pk}/" + path.format(p=product.pk)
    before = _state()

    response = getattr(client_for(actors[who]), method)(url, body, format="json")

    assert response.status_code == EXPECTED[who]
    assert response.json()["code"] == {401: "not_authenticated", 404: "not_found"}[EXPECTED[who]]
    assert _state() == before


def test_permission_matrix_staff_may_do_all_of_it(actors, django_capture_on_commit_callbacks):
    client = client_for(actors["staff"])
    base = f"/api/v1/cooperatives/{actors['coop'].pk}/products/"
    cat = CategoryFactory()

    made = client.post(
        base,
        {
            "sku": "CF-1",
            "name_vi": "Cà phê",
            "unit": "KG",
            "price_vnd": 150000,
            "category": cat.pk,
            "stock_qty": "20",
        },
        format="json",
    )
    pid = made.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):  # the variants task, after commit
        image = client.post(
            f"{base}{pid}/images/",
            {"image": SimpleUploadedFile("a.png", jpeg_bytes())},
            format="multipart",
        )
    steps = [
        client.patch(f"{base}{pid}/", {"name_en": "Coffee"}, format="json"),
        client.put(
            f"{base}{pid}/price-tiers/",
            {"tiers": [{"min_qty": "10", "price_vnd": 140000}]},
            format="json",
        ),
        client.post(f"{base}{pid}/stock/", {"mode": "decrease", "quantity": "2.5"}, format="json"),
        client.post(
            f"{base}{pid}/images/reorder/", {"image_ids": [image.json()["id"]]}, format="json"
        ),
        client.post(f"{base}{pid}/publish/", format="json"),
        client.get(f"{base}{pid}/"),
        client.get(base),
    ]

    assert (made.status_code, image.status_code) == (201, 201)
    assert [r.status_code for r in steps] == [200] * 7
    detail = steps[-2].json()
    assert (detail["status"], detail["stock_qty"], detail["name_en"]) == (
        "ACTIVE",
        "17.500",
        "Coffee",
    )
    assert detail["images"][0]["is_cover"] is True
    assert (detail["images"][0]["status"], detail["images"][0]["failure"]) == ("READY", None)
    assert set(detail["images"][0]["variants"]) == {"thumb", "card", "full"}
    assert steps[-1].json()["count"] == 1
    assert list(ProductEvent.objects.filter(product_id=pid).values_list("action", flat=True)) == [
        "created",
        "image_added",
        "updated",
        "tiers",
        "stock",
        "images_reordered",
        "published",
    ]


@pytest.mark.parametrize(
    "body, code, field",
    [
        ({"price_vnd": 0}, "product_invalid", "price_vnd"),
        ({"price_vnd": -1000}, "product_invalid", "price_vnd"),
        ({"min_order_qty": "3", "order_step": "2"}, "product_invalid", "min_order_qty"),
        ({"unit": "XYZ"}, "product_invalid", "unit"),
        ({"category": 987654}, "product_invalid", "category"),
        ({"hs_code": "12-34"}, "product_invalid", "hs_code"),
        ({"price_vnd": "abc"}, "validation_failed", "price_vnd"),
    ],
)
def test_bad_input_gets_a_specific_400_and_nothing_is_stored(actors, body, code, field):
    before = _state()

    response = client_for(actors["staff"]).post(
        f"/api/v1/cooperatives/{actors['coop'].pk}/products/",
        {"sku": "X-1", "name_vi": "Sản phẩm", "unit": "KG", "price_vnd": 1000, **body},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert field in response.json()["fields"]
    assert _state() == before


def test_an_html_file_named_jpg_gets_image_invalid(actors):
    product = DraftProductFactory(cooperative=actors["coop"])

    response = client_for(actors["staff"]).post(
        f"/api/v1/cooperatives/{actors['coop'].pk}/products/{product.pk}/images/",
        {
            "image": SimpleUploadedFile(
                "photo.jpg", b"<html><body>hi</body></html>", content_type="image/jpeg"
            )
        },
        format="multipart",
    )

    assert (response.status_code, response.json()["code"]) == (400, "image_invalid")
    assert response.json()["message"] == "Tệp không phải là ảnh JPEG, PNG hoặc WebP."
    assert ProductImage.objects.count() == 0


def test_public_detail_only_for_purchasable_products(actors):
    from tests.factories.market import CooperativeFactory

    active = ProductFactory(cooperative=actors["coop"])
    draft = DraftProductFactory(cooperative=actors["coop"])
    unverified = ProductFactory(cooperative=CooperativeFactory(status="SUBMITTED"))
    client = client_for(None)

    ok = client.get(f"/api/v1/products/{active.pk}/")

    assert ok.status_code == 200
    assert ok.json()["cooperative"]["id"] == actors["coop"].pk
    assert client.get(f"/api/v1/products/{draft.pk}/").status_code == 404
    assert client.get(f"/api/v1/products/{unverified.pk}/").status_code == 404


def test_category_tree_is_public_and_seeded():
    response = client_for(None).get("/api/v1/categories/")

    tree = {n["slug"]: n for n in response.json()}
    assert response.status_code == 200
    assert {
        "ca-phe",
        "gao",
        "trai-cay",
        "rau-cu",
        "thuy-san",
        "gia-vi",
        "che",
        "mat-ong",
        "hat",
        "thu-cong-my-nghe",
        "dac-san-ocop",
    } <= set(tree)
    spices = {c["slug"]: c["name_vi"] for c in tree["gia-vi"]["children"]}
    assert spices["hoi"] == "Hồi" and spices["que"] == "Quế" and spices["tieu"] == "Tiêu"
    assert tree["hat"]["name_en"] == "Nuts & seeds"
    root = Category.objects.get(slug="hat")
    assert set(
        Category.objects.filter(pk__in=root.descendant_ids()).values_list("slug", flat=True)
    ) >= {"hat", "hat-dieu", "mac-ca"}


def test_import_over_the_api_with_progress_and_template(actors):
    client = client_for(actors["staff"])
    base = f"/api/v1/cooperatives/{actors['coop'].pk}/imports/"
    body = (
        "Mã SKU,Tên sản phẩm,Danh mục,Đơn vị,Giá (VND)\nT-1,Chè Tân Cương 200 g,Chè xanh,gói,120000\n"
    ).encode()

    template = client_for(None).get("/api/v1/catalog/import-template.xlsx")
    dry = client.post(base, {"file": SimpleUploadedFile("che.csv", body)}, format="multipart")
    stored_after_dry_run = Product.objects.count()
    job_id = dry.json()["id"]
    progress = client.get(f"{base}{job_id}/")
    stranger = client_for(actors["other_staff"]).get(f"{base}{job_id}/")
    applied = client.post(f"{base}{job_id}/apply/")

    assert template.status_code == 200 and template.content.startswith(b"PK")
    assert (dry.status_code, dry.json()["status"], stored_after_dry_run) == (201, "VALID", 0)
    assert progress.json()["progress_percent"] == 100
    assert stranger.status_code == 404
    assert (applied.status_code, applied.json()["rows_created"]) == (200, 1)
    assert Product.objects.get(sku="T-1").unit == "GOI"


def test_stock_cannot_go_negative_over_the_api(actors):
    product = ProductFactory(cooperative=actors["coop"], stock_qty=Decimal("3"))

    response = client_for(actors["staff"]).post(
        f"/api/v1/cooperatives/{actors['coop'].pk}/products/{product.pk}/stock/",
        {"mode": "decrease", "quantity": "5"},
        format="json",
    )

    assert (response.status_code, response.json()["code"]) == (409, "insufficient_stock")
    product.refresh_from_db()
    assert product.stock_qty == Decimal("3")
