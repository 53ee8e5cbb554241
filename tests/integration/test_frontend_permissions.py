"""Who may open each cooperative and admin page: anonymous → login, buyer / other cooperative's
staff → 404 (same as missing), own staff or admin → 200. Denied posts change nothing."""

import pytest
from django.test import Client
from django.urls import reverse

from catalog.models import Product
from market.models import Cooperative
from tests.factories.catalog import ProductFactory
from tests.factories.market import CooperativeFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def _client(user):
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def _coop_pages(coop, product):
    return [
        reverse(name, args=args)
        for name, args in [
            ("frontend:coop_dashboard", [coop.pk]),
            ("frontend:coop_profile_edit", [coop.pk]),
            ("frontend:coop_documents", [coop.pk]),
            ("frontend:coop_products", [coop.pk]),
            ("frontend:coop_product_create", [coop.pk]),
            ("frontend:coop_product_edit", [coop.pk, product.pk]),
            ("frontend:coop_import", [coop.pk]),
            ("frontend:coop_orders", [coop.pk]),
            ("frontend:coop_certifications", [coop.pk]),
        ]
    ]


@pytest.mark.parametrize(
    "who, expected",
    [("anonymous", 302), ("buyer", 404), ("staff", 200), ("other_staff", 404), ("admin", 404)],
)
def test_cooperative_pages(actors, who, expected):
    product = ProductFactory(cooperative=actors["coop"])
    client = _client(actors[who])

    codes = [client.get(url).status_code for url in _coop_pages(actors["coop"], product)]

    assert codes == [expected] * 9


STAFF_PAGES = [
    "frontend:staff_queue",
    "frontend:staff_certifications",
    "frontend:staff_suspended",
    "frontend:staff_unpaid_holders",
]


@pytest.mark.parametrize(
    "who, expected",
    [("anonymous", 302), ("buyer", 404), ("staff", 404), ("other_staff", 404), ("admin", 200)],
)
def test_admin_pages(actors, who, expected):
    client = _client(actors[who])

    codes = [client.get(reverse(name)).status_code for name in STAFF_PAGES]
    codes.append(
        client.get(reverse("frontend:staff_cooperative", args=[actors["coop"].pk])).status_code
    )

    assert codes == [expected] * 5


@pytest.mark.parametrize("who", ["anonymous", "buyer", "staff", "other_staff"])
def test_only_admins_can_verify(actors, who):
    waiting = CooperativeFactory(status=Cooperative.Status.SUBMITTED)

    _client(actors[who]).post(reverse("frontend:staff_decide", args=[waiting.pk, "verify"]))

    waiting.refresh_from_db()
    assert waiting.status == Cooperative.Status.SUBMITTED


def test_admin_rejects_with_reason_and_staff_sees_it(actors):
    waiting = CooperativeFactory(status=Cooperative.Status.SUBMITTED)
    owner = MembershipFactory(cooperative=waiting).user

    _client(actors["admin"]).post(
        reverse("frontend:staff_decide", args=[waiting.pk, "reject"]),
        {"reason": "Giấy phép bị mờ, xin gửi lại"},
    )

    waiting.refresh_from_db()
    assert waiting.status == Cooperative.Status.REJECTED
    page = (
        _client(owner).get(reverse("frontend:coop_dashboard", args=[waiting.pk])).content.decode()
    )
    assert "Giấy phép bị mờ, xin gửi lại" in page
    assert reverse("frontend:coop_submit", args=[waiting.pk]) in page


def test_reject_without_reason_changes_nothing(actors):
    waiting = CooperativeFactory(status=Cooperative.Status.SUBMITTED)

    response = _client(actors["admin"]).post(
        reverse("frontend:staff_decide", args=[waiting.pk, "reject"]), {"reason": ""}, follow=True
    )

    waiting.refresh_from_db()
    assert response.status_code == 200
    assert waiting.status == Cooperative.Status.SUBMITTED


def test_staff_creates_product_without_js(actors):
    from tests.factories.catalog import CategoryFactory

    category = CategoryFactory()
    client = _client(actors["staff"])

    response = client.post(
        reverse("frontend:coop_product_create", args=[actors["coop"].pk]),
        {
            "sku": "CF-01",
            "name_vi": "Cà phê hạt rang",
            "category_id": category.pk,
            "unit": "KG",
            "price_vnd": "150000",
            "min_order_qty": "1",
            "order_step": "1",
            "availability": "IN_STOCK",
            "lead_time_days": "2",
            "origin_province_id": "",
            "stock_qty": "250",
        },
    )

    product = Product.objects.get(cooperative=actors["coop"], sku="CF-01")
    assert product.stock_qty == 250  # the form asks for stock
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "frontend:coop_product_edit", args=[actors["coop"].pk, product.pk]
    )
    assert product.status == Product.Status.DRAFT


def test_other_staff_cannot_edit_product(actors):
    product = ProductFactory(cooperative=actors["coop"], name_vi="Tên cũ")

    response = _client(actors["other_staff"]).post(
        reverse("frontend:coop_product_edit", args=[actors["coop"].pk, product.pk]),
        {"name_vi": "Tên mới"},
    )

    product.refresh_from_db()
    assert response.status_code == 404
    assert product.name_vi == "Tên cũ"


def _png(color) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (800, 600), color).save(buf, "PNG")
    return buf.getvalue()


def test_staff_uploads_and_reorders_photos_and_buyers_get_lazy_webp_pictures(
    actors, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    product = ProductFactory(cooperative=actors["coop"])
    client = _client(actors["staff"])
    url = reverse("frontend:coop_product_image_add", args=[actors["coop"].pk, product.pk])
    for name, color in (("a.png", "red"), ("b.png", "blue")):
        with django_capture_on_commit_callbacks(execute=True):  # the variants task
            client.post(url, {"image": SimpleUploadedFile(name, _png(color), "image/png")})
    first, second = product.family.images.order_by("position")

    client.post(
        reverse("frontend:coop_product_image_move", args=[actors["coop"].pk, product.pk]),
        {"image": second.pk, "direction": "up"},
    )

    assert list(product.family.images.order_by("position").values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
    ]
    html = (
        Client().get(reverse("frontend:product", args=[product.pk, product.slug])).content.decode()
    )
    assert '<source srcset="/media/' in html and 'type="image/webp"' in html
    assert 'loading="lazy"' in html
    assert second.variants["full"]["jpeg"] in html


def test_bad_photo_upload_stores_nothing(actors):
    from django.core.files.uploadedfile import SimpleUploadedFile

    product = ProductFactory(cooperative=actors["coop"])

    response = _client(actors["staff"]).post(
        reverse("frontend:coop_product_image_add", args=[actors["coop"].pk, product.pk]),
        {"image": SimpleUploadedFile("x.png", b"not an image", "image/png")},
        follow=True,
    )

    assert response.status_code == 200
    assert product.family.images.count() == 0


def test_import_dry_run_shows_row_errors_and_stores_no_product(actors, settings):
    settings.CATALOG_IMPORT_RUNNER = (
        "inline"  # the job runs in the request (threads: test_catalog_import_runner)
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalog.importing.columns import template_csv
    from catalog.models import ImportJob

    header, good = template_csv().decode("utf-8-sig").strip().splitlines()[:2]
    bad = good.replace("CF-ROB-1KG", "CF-ROB-2KG").replace(",185.000,", ",giá sai,")
    csv = "\n".join([header, good, bad]).encode("utf-8")
    before = Product.objects.count()

    response = _client(actors["staff"]).post(
        reverse("frontend:coop_import", args=[actors["coop"].pk]),
        {"file": SimpleUploadedFile("hang.csv", csv, "text/csv")},
        follow=True,
    )

    job = ImportJob.objects.get(cooperative=actors["coop"])
    html = response.content.decode()
    assert response.status_code == 200
    assert job.status == ImportJob.Status.INVALID
    assert [e["row"] for e in job.errors] == [3]
    assert f"<td>{job.errors[0]['message']}</td>" in html
    assert Product.objects.count() == before


def test_staff_claims_certification_then_admin_confirms_and_buyers_see_the_badge(actors):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalog.models import Certification

    product = ProductFactory(cooperative=actors["coop"])
    _client(actors["staff"]).post(
        reverse("frontend:coop_certifications", args=[actors["coop"].pk]),
        {
            "kind": "VIETGAP",
            "issuer": "Trung tâm Chứng nhận Phù hợp",
            "number": "VG-2026-001",
            "valid_from": "2026-01-01",
            "document": SimpleUploadedFile("vg.png", _png("green"), "image/png"),
            "product_ids": [product.pk],
        },
    )
    cert = Certification.objects.get(cooperative=actors["coop"])
    product_url = reverse("frontend:product", args=[product.pk, product.slug])
    assert "VG-2026-001" not in Client().get(product_url).content.decode()

    _client(actors["admin"]).post(
        reverse("frontend:staff_certification_decide", args=[cert.pk, "verify"])
    )

    cert.refresh_from_db()
    assert cert.status == Certification.Status.VERIFIED
    assert "VG-2026-001" in Client().get(product_url).content.decode()
