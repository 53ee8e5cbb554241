"""A cooperative's spreadsheet import, photos and bulk actions from the pages: the template
(instruction sheet, drop-downs, real numbers), the import page's column guide, a ZIP of photos
named by SKU through the image pipeline, and publish / unpublish / stock on a selection."""

import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.test import Client, TestCase
from django.urls import reverse

from catalog.models import Product, ProductImage
from tests.factories.catalog import DraftProductFactory, ProductFactory, jpeg_bytes
from tests.factories.market import CooperativeFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    coop = CooperativeFactory(verified=True)
    staff = MembershipFactory(cooperative=coop).user
    client = Client()
    client.force_login(staff)
    return coop, client


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


def test_template_has_instructions_drop_downs_and_real_numbers():
    response = Client().get(reverse("catalog:import-template", args=["xlsx"]))

    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    products, guide = wb["San pham"], wb["Huong dan"]
    headers = [c.value for c in products[1]]
    example = dict(zip(headers, [c.value for c in products[2]], strict=False))
    checked = {str(v.sqref) for v in products.data_validations.dataValidation}
    assert wb.sheetnames == ["Huong dan", "San pham", "Danh sach"]
    assert example["Giá (VND)"] == 185000 and isinstance(example["SL tối thiểu"], int)
    assert isinstance(example["Khối lượng (kg/đơn vị)"], float)
    letter = {h: products.cell(row=1, column=i + 1).column_letter for i, h in enumerate(headers)}
    for header in ("Danh mục", "Đơn vị", "Tỉnh xuất xứ"):
        assert f"{letter[header]}2:{letter[header]}5000" in checked
    assert guide["A1"].value == "Cột" and guide["C2"].value  # every column explained
    provinces = [c.value for c in wb["Danh sach"]["C"][1:] if c.value]
    assert len(provinces) == 34 and "Đắk Lắk" in provinces


def test_import_page_links_the_template_and_explains_each_column(desk):
    coop, client = desk

    html = client.get(reverse("frontend:coop_import", args=[coop.pk])).content.decode()

    assert reverse("catalog:import-template", args=["xlsx"]) in html
    assert "Các cột và một ví dụ đã điền" in html
    assert "Mã SKU" in html and "CF-ROB-1KG" in html and "185000" in html
    assert reverse("frontend:coop_import_photos", args=[coop.pk]) in html


def test_photos_zip_attaches_by_sku_and_reports_the_rest(desk, django_capture_on_commit_callbacks):
    coop, client = desk
    a = DraftProductFactory(cooperative=coop, sku="CF-01")
    b = DraftProductFactory(cooperative=coop, sku="CF-02")
    other = DraftProductFactory(sku="CF-03")  # another cooperative's SKU
    data = _zip(
        {
            "CF-01.jpg": jpeg_bytes(),
            "CF-01_2.jpg": jpeg_bytes(color=(10, 200, 10)),
            "cf-02.JPG": jpeg_bytes(),
            "CF-03.jpg": jpeg_bytes(),
            "notes.txt": b"hello",
            "CF-02_2.jpg": b"not an image",
        }
    )

    with django_capture_on_commit_callbacks(execute=True):  # the variants tasks
        response = client.post(
            reverse("frontend:coop_import_photos", args=[coop.pk]),
            {"photos": io.BytesIO(data)},
            follow=True,
        )

    texts = [str(m) for m in response.context["messages"]]
    assert (a.family.images.count(), b.family.images.count(), other.family.images.count()) == (
        2,
        1,
        0,
    )
    assert texts[0] == "Đã thêm 3 ảnh cho 2 sản phẩm."
    assert any("CF-03.jpg: không có sản phẩm nào có mã SKU CF-03" in t for t in texts)
    assert any("notes.txt" in t for t in texts) and any("CF-02_2.jpg" in t for t in texts)
    assert all(
        img.variants for img in ProductImage.objects.filter(family=a.family)
    )  # the pipeline ran


def test_a_file_that_is_not_a_zip_changes_nothing(desk):
    coop, client = desk
    DraftProductFactory(cooperative=coop, sku="CF-01")

    response = client.post(
        reverse("frontend:coop_import_photos", args=[coop.pk]),
        {"photos": io.BytesIO(b"PK not really")},
        follow=True,
    )

    assert ProductImage.objects.count() == 0
    assert "Đây không phải tệp ZIP." in [str(m) for m in response.context["messages"]]


def test_strangers_cannot_upload_photos_or_act_in_bulk(desk):
    coop, _ = desk
    product = DraftProductFactory(cooperative=coop, sku="CF-01")
    stranger = Client()
    stranger.force_login(MembershipFactory().user)

    photos = stranger.post(
        reverse("frontend:coop_import_photos", args=[coop.pk]),
        {"photos": io.BytesIO(_zip({"CF-01.jpg": jpeg_bytes()}))},
    )
    publish = stranger.post(
        reverse("frontend:coop_products_bulk", args=[coop.pk]),
        {"action": "publish", "products": [product.pk]},
    )

    assert photos.status_code == publish.status_code == 404
    product.refresh_from_db()
    assert (product.status, product.family.images.count()) == ("DRAFT", 0)


def _bulk(client, coop, action, ids, **extra):
    return client.post(
        reverse("frontend:coop_products_bulk", args=[coop.pk]),
        {"action": action, "products": ids, **extra},
        follow=True,
    )


def test_bulk_publish_publishes_the_complete_and_names_what_the_others_lack(desk):
    coop, client = desk
    ready = [DraftProductFactory(cooperative=coop) for _ in range(2)]
    for p in ready:
        from catalog.services.images import product_image_add

        with TestCase.captureOnCommitCallbacks(execute=True):  # no broker: processed at commit
            product_image_add(
                actor=coop.memberships.get().user,
                cooperative_id=coop.pk,
                product_id=p.pk,
                data=jpeg_bytes(),
            )
    lacking = DraftProductFactory(cooperative=coop, name_vi="Gạo chưa có ảnh", price_vnd=None)
    foreign = DraftProductFactory(name_vi="Của HTX khác")

    response = _bulk(client, coop, "publish", [p.pk for p in ready] + [lacking.pk, foreign.pk])

    texts = [str(m) for m in response.context["messages"]]
    statuses = dict(Product.objects.values_list("pk", "status"))
    assert [statuses[p.pk] for p in ready] == ["ACTIVE", "ACTIVE"]
    assert (statuses[lacking.pk], statuses[foreign.pk]) == ("DRAFT", "DRAFT")
    assert texts[0] == "Đã cập nhật 2 sản phẩm."
    lack = next(t for t in texts if "Gạo chưa có ảnh" in t)
    assert "Hãy đặt giá." in lack and "Hãy thêm ít nhất một ảnh." in lack
    assert "price_vnd" not in lack and "images" not in lack
    assert any(f"#{foreign.pk}" in t for t in texts)  # not ours: refused, name not revealed


def test_bulk_unpublish_and_set_stock(desk):
    coop, client = desk
    a, b = ProductFactory(cooperative=coop), ProductFactory(cooperative=coop)

    _bulk(client, coop, "stock", [a.pk, b.pk], quantity="12,5")
    _bulk(client, coop, "unpublish", [a.pk])

    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.stock_qty, b.stock_qty) == (Decimal("12.5"), Decimal("12.5"))
    assert (a.status, b.status) == ("ARCHIVED", "ACTIVE")


def test_bulk_without_action_or_selection_changes_nothing(desk):
    coop, client = desk
    p = ProductFactory(cooperative=coop, stock_qty=Decimal("5"))

    none_selected = _bulk(client, coop, "stock", [], quantity="1")
    no_action = _bulk(client, coop, "", [p.pk])

    p.refresh_from_db()
    assert p.stock_qty == Decimal("5") and p.status == "ACTIVE"
    assert "Hãy chọn ít nhất một sản phẩm." in str(list(none_selected.context["messages"])[0])
    assert "Hãy chọn một thao tác." in str(list(no_action.context["messages"])[0])
