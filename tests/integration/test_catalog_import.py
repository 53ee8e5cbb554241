"""Spreadsheet import: dry run, apply (all-or-nothing), encodings, idempotency, speed."""

import io
import time
from decimal import Decimal

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from catalog.errors import ImportFileInvalid, ImportNotApplicable
from catalog.importing.columns import template_csv, template_xlsx
from catalog.models import ImportJob, Product, ProductEvent
from catalog.services import import_job_apply, import_job_start
from market.errors import NotFound
from market.models import OutboxEvent
from tests.factories.catalog import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db
HEAD = "Mã SKU,Tên sản phẩm,Danh mục,Đơn vị,Giá (VND),Tồn kho,SL tối thiểu,Bước đặt hàng,Mã HS,Tỉnh xuất xứ\n"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Run jobs in the caller: these tests sit in a transaction that threads cannot see (the
    # background runner is tested in test_catalog_import_runner.py).
    settings.CATALOG_IMPORT_RUNNER = "inline"


def _start(actors, body: bytes, apply=False, name="sp.csv"):
    return import_job_start(
        actor=actors["staff"],
        cooperative_id=actors["coop"].pk,
        file_name=name,
        data=body,
        apply=apply,
    )


def _csv(*lines, encoding="utf-8") -> bytes:
    return (HEAD + "".join(line + "\n" for line in lines)).encode(encoding)


GOOD = ["CF-1,Cà phê Robusta rang mộc,Cà phê Robusta,kg,185.000,250,2,1,0901.21,Đắk Lắk"]


def to_cp1258(text: str) -> bytes:
    """Encode like Windows-1258 does: precomposed where the code page has the letter, otherwise
    a base letter followed by a combining tone mark (cp1258 has no "ã", "ộ", "ả"...)."""
    import unicodedata

    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", ch)
        for mark in marks:  # "ặ" = a + dot below + breve: cp1258 has "ă", then the dot combines
            composed = unicodedata.normalize("NFC", base + mark)
            if len(composed) == 1 and composed.encode("cp1258", errors="replace") != b"?":
                base, marks = composed, [m for m in marks if m != mark]
                break
        out += base.encode("cp1258") + "".join(marks).encode("cp1258")
    return out


def test_dry_run_reports_each_bad_row_in_vietnamese_and_stores_nothing(actors):
    body = _csv(
        "CF-1,Cà phê Robusta rang mộc,Cà phê Robusta,kg,185.000,250,2,1,0901.21,Đắk Lắk",
        "CF-2,Cà phê hỏng giá,Cà phê Robusta,kg,0,10,1,1,,",
        "CF-3,Cà phê âm giá,Cà phê Robusta,kg,-5000,10,1,1,,",
        "CF-4,Cà phê,Cà phê Robusta,kg,100000,10,3,2,,",
        "CF-5,Cà phê,Danh mục lạ,thùng to,100000,10,1,1,09x1,",
        "CF-1,Trùng mã,Cà phê Robusta,kg,100000,10,1,1,,",
    )

    job = _start(actors, body, apply=True)

    assert job.status == ImportJob.Status.INVALID
    assert (job.rows_total, job.rows_done) == (6, 6)
    got = {(e["row"], e["column"]) for e in job.errors}
    assert got == {
        (3, "Giá (VND)"),
        (4, "Giá (VND)"),
        (5, "SL tối thiểu"),
        (6, "Danh mục"),
        (6, "Đơn vị"),
        (6, "Mã HS"),
        (7, "Mã SKU"),
    }
    messages = {(e["row"], e["column"]): e["message"] for e in job.errors}
    assert messages[(6, "Đơn vị")] == "Đơn vị “thùng to” không có trong danh sách."
    assert messages[(5, "SL tối thiểu")].startswith(
        "Số lượng tối thiểu phải là bội số của bước đặt hàng"
    )
    assert (
        Product.objects.count() == 0
        and ProductEvent.objects.count() == 0
        and OutboxEvent.objects.count() == 0
    )


def test_apply_creates_drafts_with_one_outbox_call_for_all_ids(actors):
    body = _csv(GOOD[0], 'GAO-5,Gạo ST25 túi 5 kg,gao-thom,bao,"320.000",10,1,1,1006.30,Sóc Trăng')

    job = _start(actors, body, apply=True)

    assert job.status == ImportJob.Status.DONE, job.errors
    assert (job.rows_created, job.rows_updated, job.encoding) == (2, 0, "utf-8")
    coffee = Product.objects.get(sku="CF-1")
    assert (coffee.price_vnd, coffee.stock_qty, coffee.min_order_qty, coffee.status) == (
        185_000,
        Decimal("250"),
        Decimal("2"),
        "DRAFT",
    )
    assert coffee.origin_province.name == "Đắk Lắk"
    rice = Product.objects.get(sku="GAO-5")
    assert (rice.unit, rice.origin_province.name, rice.category.slug) == (
        "BAO",
        "Thành phố Cần Thơ",
        "gao-thom",
    )
    assert sorted(OutboxEvent.objects.values_list("entity_id", flat=True)) == sorted(
        [coffee.pk, rice.pk]
    )
    assert ProductEvent.objects.filter(action="imported").count() == 2


def test_re_import_updates_by_sku_and_changes_nothing_the_second_time(actors):
    existing = ProductFactory(
        cooperative=actors["coop"], sku="CF-1", price_vnd=150_000, status="ACTIVE"
    )
    other_coop_same_sku = ProductFactory(
        cooperative=actors["other_coop"], sku="CF-1", price_vnd=99_000
    )
    CategoryFactory(slug="ca-phe-robusta")

    first = _start(actors, _csv(GOOD[0]), apply=True)
    outbox_after_first = OutboxEvent.objects.count()
    second = _start(actors, _csv(GOOD[0]), apply=True)

    assert (first.rows_created, first.rows_updated) == (0, 1)
    assert (second.rows_created, second.rows_updated) == (0, 0)
    existing.refresh_from_db()
    other_coop_same_sku.refresh_from_db()
    assert (existing.price_vnd, existing.status, existing.name_vi) == (
        185_000,
        "ACTIVE",
        "Cà phê Robusta rang mộc",
    )
    assert other_coop_same_sku.price_vnd == 99_000
    assert OutboxEvent.objects.count() == outbox_after_first == 1
    assert ProductEvent.objects.get(action="imported").changes["price_vnd"] == [150_000, 185_000]


def test_a_file_with_a_bom_is_read(actors):
    job = _start(actors, b"\xef\xbb\xbf" + _csv(GOOD[0]))

    assert (job.status, job.encoding) == ("VALID", "utf-8-sig")
    assert job.errors == []


def test_windows_1258_with_combining_tone_marks_is_decoded_and_normalised(actors):
    # Windows-1258 writes "ộ" as "ô" + a combining dot below: the stored name must be NFC.
    name = "Cà phê Robusta rang mộc Buôn Ma Thuột"
    line = GOOD[0].replace("Cà phê Robusta rang mộc", name).replace("Đắk Lắk", "Lâm Đồng")
    data = to_cp1258(_csv(line).decode("utf-8"))
    assert "ô".encode("cp1258") + b"\xf2" in data  # really a combining dot below

    job = _start(actors, data, apply=True)

    assert (job.status, job.encoding) == ("DONE", "cp1258"), job.errors
    product = Product.objects.get(sku="CF-1")
    assert product.name_vi == name
    assert product.origin_province.name == "Lâm Đồng"


def test_plain_cp1252_is_still_read(actors):
    body = "Ma SKU;Ten san pham;Danh muc;Don vi;Gia (VND)\nCF-9;Café crème Côte d'Ivoire;coffee;kg;100000\n"

    job = _start(actors, body.encode("cp1252"))

    assert (job.status, job.encoding) == ("VALID", "cp1252"), job.errors


def test_xlsx_and_the_templates(actors):
    wb = Workbook()
    wb.active.append(["Mã SKU", "Tên sản phẩm", "Danh mục", "Đơn vị", "Giá (VND)", "Tồn kho"])
    wb.active.append(["MO-1", "Mật ong hoa nhãn 500 ml", "Mật ong hoa", "chai", 150000, None])
    out = io.BytesIO()
    wb.save(out)

    job = _start(actors, out.getvalue(), apply=True, name="file-with-any-name.csv")

    assert (job.status, job.file_format, job.rows_created) == ("DONE", "xlsx", 1)
    assert Product.objects.get(sku="MO-1").unit == "CHAI"
    assert template_csv().startswith(b"\xef\xbb\xbfM\xc3\xa3 SKU,")
    assert _start(actors, template_csv()).status == "VALID"
    assert _start(actors, template_xlsx()).status == "VALID"


def test_missing_columns_and_garbage_are_file_errors(actors):
    with pytest.raises(ImportFileInvalid) as exc:
        _start(actors, "Tên,Giá\nA,1\n".encode())
    assert "Mã SKU" in exc.value.fields["missing_columns"]

    with pytest.raises(ImportFileInvalid):
        _start(actors, b"PK\x03\x04 not really a zip")

    assert Product.objects.count() == 0
    assert list(ImportJob.objects.values_list("status", flat=True)) == ["FAILED", "FAILED"]


def test_dry_run_then_apply_and_only_once(actors):
    job = _start(actors, _csv(GOOD[0]))
    assert (job.status, Product.objects.count()) == ("VALID", 0)

    with pytest.raises(NotFound):
        import_job_apply(
            actor=actors["other_staff"], cooperative_id=actors["coop"].pk, job_id=job.pk
        )
    done = import_job_apply(actor=actors["staff"], cooperative_id=actors["coop"].pk, job_id=job.pk)
    with pytest.raises(ImportNotApplicable):
        import_job_apply(actor=actors["staff"], cooperative_id=actors["coop"].pk, job_id=job.pk)

    assert (done.status, Product.objects.count()) == ("DONE", 1)


def test_strangers_cannot_import(actors):
    with pytest.raises(NotFound):
        import_job_start(
            actor=actors["buyer"],
            cooperative_id=actors["coop"].pk,
            file_name="a.csv",
            data=_csv(GOOD[0]),
            apply=True,
        )

    assert ImportJob.objects.count() == 0 and Product.objects.count() == 0


def _big_csv(n: int) -> bytes:
    lines = [
        f"SKU-{i:06d},Hạt điều rang muối loại {i},Hạt điều,kg,{200_000 + i},{i % 500},1,1,0801.32,Đồng Nai"
        for i in range(n)
    ]
    return _csv(*lines)


@pytest.mark.slow
def test_five_thousand_rows_import_in_well_under_a_minute(actors):
    body = _big_csv(5000)

    started = time.monotonic()
    job = _start(actors, body, apply=True)
    took = time.monotonic() - started

    assert (job.status, job.rows_created) == ("DONE", 5000), job.errors[:3]
    assert Product.objects.filter(cooperative=actors["coop"]).count() == 5000
    assert OutboxEvent.objects.count() == 5000
    assert took < 60, took


def test_the_command_prints_progress_and_a_summary(actors, tmp_path, capsys):
    path = tmp_path / "sp.csv"
    path.write_bytes(_big_csv(1200))

    call_command("import_products", str(path), "--cooperative", actors["coop"].slug)
    dry = capsys.readouterr().out
    call_command("import_products", str(path), "--cooperative", actors["coop"].slug, "--apply")
    applied = capsys.readouterr().out

    assert "checked 500/1200 rows" in dry and "checked 1200/1200 rows" in dry
    assert (
        dry.strip().splitlines()[-1].startswith("import job ")
        and " VALID: 1200 rows (csv utf-8)" in dry
    )
    assert " DONE: 1200 rows" in applied and "1200 created, 0 updated" in applied
    assert Product.objects.count() == 1200
