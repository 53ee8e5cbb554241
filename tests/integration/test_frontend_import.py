"""Import pages with background jobs: the upload answers at once, the job page polls itself with
htmx while the job waits or runs (a plain refresh link without JavaScript), stops when it ends."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import ImportJob, Product
from tests.factories.catalog import CategoryFactory

pytestmark = pytest.mark.django_db
CSV = "Mã SKU,Tên sản phẩm,Danh mục,Đơn vị,Giá (VND)\nCF-1,Cà phê bột,Cà phê test,kg,120.000\n".encode()
POLL = 'hx-trigger="every 1s"'


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    CategoryFactory(slug="ca-phe-test", name_vi="Cà phê test", name_en="Coffee test")


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def _pending(actors, **fields) -> ImportJob:
    job = ImportJob(
        cooperative=actors["coop"],
        created_by=actors["staff"],
        original_name="sp.csv",
        heartbeat_at=timezone.now(),
        **fields,
    )
    job.file.save("sp.csv", ContentFile(CSV), save=False)
    job.save()
    return job


def test_upload_with_the_task_runner_redirects_to_a_polling_job_page(
    actors, settings, django_capture_on_commit_callbacks
):
    # The task would be queued on commit; the callbacks are captured, not run, so the page shows
    # the job exactly as the upload left it.
    settings.CATALOG_IMPORT_RUNNER = "task"
    url = reverse("frontend:coop_import", args=[actors["coop"].pk])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _client(actors["staff"]).post(
            url, {"file": SimpleUploadedFile("sp.csv", CSV, "text/csv")}, follow=True
        )

    job = ImportJob.objects.get()
    html = response.content.decode()
    assert (response.status_code, len(callbacks), job.status, job.rows_done) == (
        200,
        1,
        "PENDING",
        0,
    )
    assert (
        POLL in html
        and f'hx-get="{reverse("frontend:coop_import_job", args=[actors["coop"].pk, job.pk])}"'
        in html
    )
    assert "Làm mới</a>" in html  # the refresh link for browsers without JavaScript
    assert Product.objects.count() == 0


def test_a_poll_of_a_running_job_keeps_polling_and_a_finished_one_stops(actors):
    job = _pending(actors, status="VALIDATING", attempts=1, rows_total=10, rows_done=4)
    url = reverse("frontend:coop_import_job", args=[actors["coop"].pk, job.pk])
    client = _client(actors["staff"])

    running = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    ImportJob.objects.filter(pk=job.pk).update(status="VALID", rows_done=10)
    done = client.get(url, HTTP_HX_REQUEST="true").content.decode()

    assert running.strip().startswith('<div id="import-progress"') and POLL in running
    assert 'value="40"' in running and "<html" not in running
    assert POLL not in done and 'value="100"' in done
    assert reverse("frontend:coop_import_apply", args=[actors["coop"].pk, job.pk]) in done
    assert (
        ImportJob.objects.get(pk=job.pk).attempts == 1
    )  # a live job is not taken over by the poll


def test_apply_starts_the_import_and_the_page_reports_it(actors, settings):
    settings.CATALOG_IMPORT_RUNNER = "inline"
    job = _pending(actors, status="VALID", rows_total=1)
    apply_url = reverse("frontend:coop_import_apply", args=[actors["coop"].pk, job.pk])

    response = _client(actors["staff"]).post(apply_url, follow=True)
    again = _client(actors["staff"]).post(apply_url, follow=True)

    job.refresh_from_db()
    assert (response.status_code, job.status, job.rows_created, job.applied_by) == (
        200,
        "DONE",
        1,
        actors["staff"],
    )
    assert POLL not in response.content.decode()
    assert Product.objects.filter(cooperative=actors["coop"], sku="CF-1").count() == 1
    assert (
        again.status_code == 200 and Product.objects.count() == 1
    )  # a second click imports nothing more


def test_strangers_cannot_apply_someone_elses_import(actors):
    job = _pending(actors, status="VALID", rows_total=1)

    response = _client(actors["other_staff"]).post(
        reverse("frontend:coop_import_apply", args=[actors["coop"].pk, job.pk])
    )

    assert response.status_code == 404
    assert ImportJob.objects.get(pk=job.pk).status == "VALID" and Product.objects.count() == 0
