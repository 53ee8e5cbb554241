"""Security audit, finding 4: uploads and imports cost too much (a 128 KiB PNG of 6320×6320 px
took 4.8 s of CPU and +270 MiB in a web request; a 290 KiB XLSX holding 300 MB of text peaked at
662 MiB), there was no storage quota, and logos were stored byte for byte (GPS, trailing script)."""

import io
import time
import zipfile

import pytest
from django.core.files.storage import default_storage
from openpyxl import Workbook
from PIL import Image

from catalog import services
from catalog.errors import ImageTooLarge, ImportFileInvalid
from catalog.models import ImportJob, ProductImage
from market.cooperatives.quota import CooperativeNotSubmitted, StorageQuotaExceeded
from market.models import Cooperative
from tests.conftest import client_for
from tests.factories.catalog import DraftProductFactory, ProductFactory, jpeg_bytes
from tests.factories.market import MembershipFactory, upload
from tests.integration.test_catalog_images import gps_jpeg, png_bomb

pytestmark = pytest.mark.django_db
HEAD = "Mã SKU,Tên sản phẩm,Danh mục,Đơn vị,Giá (VND),Tồn kho\n"


@pytest.fixture
def staff():
    owner = MembershipFactory(cooperative__verified=True).user
    return owner, owner.memberships.get().cooperative


def _media_files(settings):
    root = settings.MEDIA_ROOT
    return sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_the_audits_6320px_png_is_refused_from_its_header_in_milliseconds(staff, settings):
    owner, coop = staff
    product = ProductFactory(cooperative=coop)
    bomb = png_bomb(6320, 6320)

    started = time.process_time()
    with pytest.raises(ImageTooLarge):
        services.product_image_add(
            actor=owner, cooperative_id=coop.pk, product_id=product.pk, data=bomb
        )
    cpu = time.process_time() - started

    assert len(bomb) < 200 * 1024
    assert cpu < 0.5  # was 4.8 s: only the header is read
    assert not ProductImage.objects.exists()
    assert _media_files(settings) == []
    assert Cooperative.objects.get(pk=coop.pk).storage_used_bytes == 0


def test_a_12_megapixel_jpeg_is_decoded_in_draft_mode(staff, django_capture_on_commit_callbacks):
    owner, coop = staff
    product = ProductFactory(cooperative=coop)

    with django_capture_on_commit_callbacks(execute=True):  # the variants task, after commit
        image = services.product_image_add(
            actor=owner,
            cooperative_id=coop.pk,
            product_id=product.pk,
            data=jpeg_bytes(size=(4032, 3024)),
        )
    image.refresh_from_db()

    # libjpeg scaled the decode by 2 (the smallest scale still covering 1280 px outputs).
    assert (image.width, image.height) == (2016, 1512)
    assert image.variants["full"]["width"] == 1280
    assert Cooperative.objects.get(pk=coop.pk).storage_used_bytes > 0


def test_draft_cooperatives_cannot_upload_images_logos_or_imports(settings):
    owner = MembershipFactory(cooperative__status=Cooperative.Status.DRAFT).user
    coop = owner.memberships.get().cooperative
    product = DraftProductFactory(cooperative=coop)

    with pytest.raises(CooperativeNotSubmitted):
        services.product_image_add(
            actor=owner, cooperative_id=coop.pk, product_id=product.pk, data=jpeg_bytes()
        )
    logo = client_for(owner).put(
        f"/api/v1/cooperatives/{coop.pk}/logo/",
        {"file": upload("l.jpg", jpeg_bytes(), "image/jpeg")},
        format="multipart",
    )
    with pytest.raises(CooperativeNotSubmitted):
        services.import_job_start(
            actor=owner, cooperative_id=coop.pk, file_name="a.csv", data=HEAD.encode()
        )

    assert logo.status_code == 409
    assert logo.json()["code"] == "cooperative_not_submitted"
    assert not ProductImage.objects.exists()
    assert not ImportJob.objects.exists()
    coop.refresh_from_db()
    assert not coop.logo
    assert _media_files(settings) == []


def test_storage_quota_refuses_the_upload_that_would_pass_it(staff, settings):
    owner, coop = staff
    settings.COOPERATIVE_STORAGE_QUOTA_MB = 1
    product = ProductFactory(cooperative=coop)
    Cooperative.objects.filter(pk=coop.pk).update(storage_used_bytes=1024 * 1024 - 20)

    with pytest.raises(StorageQuotaExceeded):
        services.product_image_add(
            actor=owner, cooperative_id=coop.pk, product_id=product.pk, data=jpeg_bytes()
        )
    doc = client_for(owner).post(
        f"/api/v1/cooperatives/{coop.pk}/documents/",
        {"kind": "OTHER", "file": upload()},
        format="multipart",
    )

    assert doc.status_code == 409
    assert doc.json()["code"] == "storage_quota_exceeded"
    assert not ProductImage.objects.exists()
    assert not coop.documents.exists()
    assert Cooperative.objects.get(pk=coop.pk).storage_used_bytes == 1024 * 1024 - 20
    assert _media_files(settings) == []


def test_deleting_an_image_gives_its_bytes_back(staff):
    owner, coop = staff
    product = ProductFactory(cooperative=coop)
    first = services.product_image_add(
        actor=owner, cooperative_id=coop.pk, product_id=product.pk, data=jpeg_bytes()
    )
    services.product_image_add(
        actor=owner, cooperative_id=coop.pk, product_id=product.pk, data=jpeg_bytes()
    )
    used = Cooperative.objects.get(pk=coop.pk).storage_used_bytes

    services.product_image_delete(
        actor=owner, cooperative_id=coop.pk, product_id=product.pk, image_id=first.pk
    )

    after = Cooperative.objects.get(pk=coop.pk).storage_used_bytes
    assert 0 < after < used


def test_logo_is_rebuilt_from_pixels(staff):
    owner, coop = staff
    data = gps_jpeg() + b"<script>alert(document.cookie)</script>"

    response = client_for(owner).put(
        f"/api/v1/cooperatives/{coop.pk}/logo/",
        {"file": upload("logo.jpg", data, "image/jpeg")},
        format="multipart",
    )

    coop.refresh_from_db()
    stored = default_storage.open(coop.logo.name).read()
    assert response.status_code == 200
    assert b"<script>" not in stored
    assert b"PhoneMaker" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.getexif() == {}
        assert image.size == (200, 100)
    assert coop.storage_used_bytes == len(stored)


def _xlsx_with_padding(padding_bytes: int) -> bytes:
    wb = Workbook()
    wb.active.append(["Mã SKU", "Tên sản phẩm", "Danh mục", "Đơn vị", "Giá (VND)", "Tồn kho"])
    wb.active.append(["MO-1", "Mật ong", "Mật ong hoa", "chai", 150000, 1])
    plain = io.BytesIO()
    wb.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("xl/media/padding.txt", b"a" * padding_bytes)  # a few kB once compressed
    return out.getvalue()


def test_xlsx_declaring_more_than_the_cap_unpacked_is_refused_before_parsing(staff, settings):
    owner, coop = staff
    data = _xlsx_with_padding(60 * 1024 * 1024)

    with pytest.raises(ImportFileInvalid) as exc:
        services.import_job_start(
            actor=owner, cooperative_id=coop.pk, file_name="sp.xlsx", data=data
        )

    assert len(data) < 200 * 1024
    assert exc.value.code == "import_file_too_large"
    job = ImportJob.objects.get()
    assert (job.status, job.retryable) == ("FAILED", False)
    assert not coop.products.exists()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (HEAD + "".join(f"S-{i},Tên {i},Mật ong hoa,kg,1000,1\n" for i in range(12)), "rows"),
        (HEAD + "S-1," + "x" * 101 + ",Mật ong hoa,kg,1000,1\n", "cell"),
        (HEAD + 'S-1,"' + "x" * 200_000 + '",Mật ong hoa,kg,1000,1\n', "field"),
    ],
    ids=["too-many-rows", "cell-too-long", "csv-field-over-128k"],
)
def test_import_caps_fail_the_job_for_good_never_retried(staff, settings, body, code):
    owner, coop = staff
    settings.CATALOG_IMPORT_MAX_ROWS = 10
    settings.CATALOG_IMPORT_MAX_CELL_CHARS = 100 if code == "cell" else 10_000

    job = services.import_job_start(
        actor=owner, cooperative_id=coop.pk, file_name="sp.csv", data=body.encode()
    )

    job.refresh_from_db()
    assert job.status == "FAILED"
    assert job.retryable is False  # a verdict on the file: import_jobs_resume leaves it alone
    assert job.attempts == 1
    assert not coop.products.exists()
    from catalog.services.imports import import_job_ids_to_resume

    assert job.pk not in import_job_ids_to_resume(include_failed=True)
