"""Spreadsheet import with the family key column ("Mã nhóm sản phẩm"): rows with one key are
variants of one product; the dry run counts families and variants; re-import is idempotent by
SKU; rows of a group with the same option values are refused and nothing is stored."""

import pytest

from catalog.models import ImportJob, Product, ProductEvent, ProductFamily
from catalog.services import import_job_apply, import_job_start
from tests.factories.catalog import CategoryFactory

pytestmark = pytest.mark.django_db
HEAD = "Mã SKU,Mã nhóm sản phẩm,Tên sản phẩm,Quy cách,Năm vụ,Danh mục,Đơn vị,Giá (VND),Tồn kho\n"
ROWS = [
    "ROB-250-25,ROB,Cà phê Robusta rang mộc,túi 250 g,2025,Cà phê Robusta,gói,49.000,40",
    "ROB-5K-25,ROB,Cà phê Robusta rang mộc,bao 5 kg,2025,Cà phê Robusta,bao,690.000,12",
    "ROB-5K-26,ROB,Cà phê Robusta rang mộc,bao 5 kg,2026,Cà phê Robusta,bao,720.000,30",
    "TIEU-1,,Hạt tiêu đen Chư Sê,,,Cà phê Robusta,kg,150.000,100",
]


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CATALOG_IMPORT_RUNNER = "inline"
    CategoryFactory(slug="ca-phe-robusta", name_vi="Cà phê Robusta")


def _start(actors, *rows, apply=False):
    body = (HEAD + "".join(r + "\n" for r in rows)).encode()
    return import_job_start(
        actor=actors["staff"],
        cooperative_id=actors["coop"].pk,
        file_name="sp.csv",
        data=body,
        apply=apply,
    )


def test_the_dry_run_counts_families_and_variants_and_stores_nothing(actors):
    job = _start(actors, *ROWS)

    assert job.status == ImportJob.Status.VALID
    assert (job.rows_total, job.families_total, job.families_created) == (4, 2, 2)
    assert not Product.objects.exists() and not ProductFamily.objects.exists()


def test_rows_with_one_key_become_variants_of_one_family_and_reimport_changes_nothing(actors):
    job = _start(actors, *ROWS, apply=True)
    events = ProductEvent.objects.count()

    again = _start(actors, *ROWS, apply=True)

    assert job.status == ImportJob.Status.DONE and job.rows_created == 4
    family = ProductFamily.objects.get(family_key="ROB")
    assert sorted(family.variants.values_list("sku", flat=True)) == [
        "ROB-250-25",
        "ROB-5K-25",
        "ROB-5K-26",
    ]
    assert {v.variant_label for v in family.variants.all()} == {
        "túi 250 g · 2025",
        "bao 5 kg · 2025",
        "bao 5 kg · 2026",
    }
    assert Product.objects.get(sku="TIEU-1").family.variants.count() == 1
    assert ProductFamily.objects.count() == 2
    assert (again.status, again.rows_created, again.rows_updated) == ("DONE", 0, 0)
    assert (again.families_total, again.families_created) == (2, 0)
    assert ProductEvent.objects.count() == events


def test_a_new_row_with_a_known_key_joins_its_family(actors):
    _start(actors, *ROWS, apply=True)

    job = _start(
        actors,
        "ROB-1K-26,ROB,Cà phê Robusta rang mộc,hộp 1 kg,2026,Cà phê Robusta,hộp,180.000,5",
        apply=True,
    )

    assert (job.status, job.families_total, job.families_created) == ("DONE", 1, 0)
    assert ProductFamily.objects.get(family_key="ROB").variants.count() == 4


@pytest.mark.parametrize(
    "rows, column",
    [
        # two rows of one group with the same option values
        (
            [
                ROWS[0],
                "ROB-250-X,ROB,Cà phê Robusta rang mộc,Túi 250 g,2025,Cà phê Robusta,gói,1,1",
            ],
            "Quy cách",
        ),
        # an option value its kind does not allow
        (["ROB-X,ROB,Cà phê,túi 250 g,vụ mới,Cà phê Robusta,gói,49.000,1"], "Năm vụ"),
    ],
)
def test_bad_option_rows_make_the_job_invalid_and_store_nothing(actors, rows, column):
    job = _start(actors, *rows, apply=True)

    assert job.status == ImportJob.Status.INVALID
    assert {e["column"] for e in job.errors} == {column}
    assert not Product.objects.exists() and not ProductFamily.objects.exists()


def test_a_row_repeating_an_existing_variants_options_is_refused(actors):
    _start(actors, *ROWS, apply=True)
    before = list(Product.objects.order_by("pk").values_list("pk", "sku", "family_id"))

    job = _start(
        actors,
        "ROB-NEW,ROB,Cà phê Robusta rang mộc,bao 5 kg,2026,Cà phê Robusta,bao,1.000,1",
        apply=True,
    )

    assert job.status == ImportJob.Status.INVALID
    assert "ROB-5K-26" in job.errors[0]["message"]
    assert list(Product.objects.order_by("pk").values_list("pk", "sku", "family_id")) == before
    assert import_job_apply is not None
