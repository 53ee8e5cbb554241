"""Import jobs off the request: the `catalog.import_job_run` task on a real Celery worker and Redis,
the claim that keeps a job to one worker, a worker killed mid-import (the next worker finishes
the job exactly once), crash recovery with `import_jobs_resume`."""

import os
import threading
import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from catalog.models import ImportJob, Product, ProductEvent
from catalog.services import imports
from market.background import enqueue
from market.models import OutboxEvent
from tests.celery_worker import Worker, use_broker, wait_for
from tests.conftest import client_for
from tests.factories.catalog import CategoryFactory

pytestmark = pytest.mark.django_db(transaction=True)
HEAD = "Mã SKU,Tên sản phẩm,Danh mục,Đơn vị,Giá (VND),Tồn kho\n"


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SEARCH_SYNC_ON_COMMIT = False  # keep the outbox rows for the assertions
    settings.CATALOG_IMPORT_RUNNER = "task"
    CategoryFactory(slug="hat-dieu-test", name_vi="Hạt điều test", name_en="Cashew test")


def _csv(n: int) -> bytes:
    return (
        HEAD
        + "".join(
            f"SKU-{i:05d},Hạt điều rang muối {i},Hạt điều test,kg,{200_000 + i},{i % 50}\n"
            for i in range(n)
        )
    ).encode()


def _job(actors, n: int, **fields) -> ImportJob:
    """A job row as a web upload leaves it, without starting a worker."""
    job = ImportJob(
        cooperative=actors["coop"],
        created_by=actors["staff"],
        original_name="sp.csv",
        **{"heartbeat_at": timezone.now(), **fields},
    )
    job.file.save("sp.csv", ContentFile(_csv(n)), save=False)
    job.save()
    return job


@pytest.mark.postgres
@pytest.mark.redis
def test_upload_returns_at_once_then_progress_grows_until_the_products_are_stored(actors, broker):
    upload = ContentFile(_csv(3000), name="sp.csv")

    response = client_for(actors["staff"]).post(
        reverse("catalog:import-start", args=[actors["coop"].pk]),
        {"file": upload, "apply": "true"},
        format="multipart",
    )
    job_id = response.data["id"]
    at_return = ImportJob.objects.get(pk=job_id)
    seen, deadline = [], time.monotonic() + 60
    while time.monotonic() < deadline:
        job = ImportJob.objects.get(pk=job_id)
        seen.append(job.rows_done)
        if not job.is_active:
            break
        time.sleep(0.005)

    assert (response.status_code, response.data["status"], response.data["active"]) == (
        201,
        "PENDING",
        True,
    )
    assert at_return.status in ("PENDING", "VALIDATING") and at_return.rows_done < 3000
    assert any(0 < done < 3000 for done in seen), seen
    assert seen == sorted(seen)
    assert (job.status, job.rows_done, job.rows_created, job.attempts) == ("DONE", 3000, 3000, 1), (
        job.errors[:3]
    )
    assert Product.objects.filter(cooperative=actors["coop"], status="DRAFT").count() == 3000
    assert OutboxEvent.objects.count() == 3000


@pytest.mark.postgres
def test_two_workers_never_run_the_same_job(actors):
    job = _job(actors, 600, apply_requested=True)
    barrier, results = threading.Barrier(6), []

    def run():
        try:
            barrier.wait()
            results.append(imports.import_job_run(job_id=job.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    finished = [r for r in results if r is not None]
    assert len(results) == 6 and len(finished) == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.rows_created) == ("DONE", 1, 600)
    assert Product.objects.count() == 600
    assert ProductEvent.objects.count() == 600
    assert OutboxEvent.objects.count() == 600


def test_a_claimed_job_cannot_be_claimed_again_until_its_heartbeat_is_stale(actors, settings):
    job = _job(actors, 3)

    first = imports.import_job_claim(job_id=job.pk)
    second = imports.import_job_claim(job_id=job.pk)
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=121))
    third = imports.import_job_claim(job_id=job.pk)

    assert (first.status, first.attempts) == ("VALIDATING", 1)
    assert second is None
    assert (third.status, third.attempts) == ("VALIDATING", 2)
    # The first worker, presumed dead, wakes up: its writes are refused and it stops.
    with pytest.raises(imports._ClaimLost):
        imports._save(first, rows_done=3)
    assert ImportJob.objects.get(pk=job.pk).rows_done == 0


def test_the_command_resumes_a_stale_running_job_and_leaves_a_live_one(actors):
    dead = _job(
        actors,
        40,
        status="APPLYING",
        apply_requested=True,
        attempts=1,
        heartbeat_at=timezone.now() - timedelta(minutes=10),
    )
    live = _job(actors, 5, status="VALIDATING", attempts=1, rows_done=2)

    call_command("import_jobs_resume", stdout=(out := _Out()))
    call_command("import_jobs_resume", stdout=(again := _Out()))

    dead.refresh_from_db()
    live.refresh_from_db()
    assert (dead.status, dead.attempts, dead.rows_created) == ("DONE", 2, 40)
    assert (live.status, live.attempts, live.rows_done) == ("VALIDATING", 1, 2)
    assert Product.objects.count() == 40
    assert f"[1/1] import job {dead.pk} … DONE: 40 rows, 40 created, 0 updated" in out.text
    assert out.text.strip().splitlines()[-1].startswith("import_jobs_resume: 1 jobs (1 DONE) in ")
    assert again.text.strip().startswith("import_jobs_resume: 0 jobs (nothing to do) in ")


def test_a_crash_mid_apply_stores_nothing_and_the_resume_reruns_it_cleanly(
    actors, monkeypatch, settings
):
    # The crash is injected at the product writer (the database write a dying process would cut),
    # after the first batch of 500 rows went into the apply transaction.
    settings.CATALOG_IMPORT_RUNNER = "inline"
    real_write, calls = imports._write_batch, []

    def write_then_crash(products):
        calls.append(len(products))
        real_write(products)
        if len(calls) == 2:
            raise OSError("connection lost")

    monkeypatch.setattr(imports, "_write_batch", write_then_crash)
    job = imports.import_job_start(
        actor=actors["staff"],
        cooperative_id=actors["coop"].pk,
        file_name="sp.csv",
        data=_csv(1200),
        apply=True,
    )
    failed = (
        job.status,
        job.retryable,
        job.errors,
        Product.objects.count(),
        ProductEvent.objects.count(),
        OutboxEvent.objects.count(),
    )
    monkeypatch.setattr(imports, "_write_batch", real_write)

    call_command("import_jobs_resume", stdout=_Out())

    job.refresh_from_db()
    assert calls == [500, 500]
    assert failed == (
        "FAILED",
        True,
        [
            {
                "row": 0,
                "column": "",
                "message": "Nhập thất bại; chưa lưu dữ liệu nào. Hệ thống sẽ thử lại.",
            }
        ],
        0,
        0,
        0,
    )
    assert (job.status, job.attempts, job.rows_created, job.retryable) == ("DONE", 2, 1200, False)
    assert job.errors == []
    assert Product.objects.count() == 1200
    assert OutboxEvent.objects.count() == 1200


@pytest.mark.postgres
def test_polling_a_job_whose_worker_died_starts_a_new_worker(actors):
    job = _job(
        actors,
        20,
        status="VALIDATING",
        attempts=1,
        heartbeat_at=timezone.now() - timedelta(minutes=5),
    )

    # without a broker the poll runs the job in this process after its (autocommit) write
    response = client_for(actors["staff"]).get(
        reverse("catalog:import-detail", args=[actors["coop"].pk, job.pk])
    )

    job.refresh_from_db()
    assert response.status_code == 200
    assert (job.status, job.attempts, job.rows_done) == ("VALID", 2, 20)
    assert Product.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
def test_a_worker_killed_mid_import_leaves_the_job_to_the_next_worker_which_ends_it_once(
    actors, settings, tmp_path
):
    # given a worker that takes a dead worker's job after 3 s without heartbeat
    url = os.environ.get("REDIS_TEST_URL")
    stale = {"CATALOG_IMPORT_STALE_SECONDS": "3", "SEARCH_SYNC_ON_COMMIT": "false"}
    first, second = Worker(url, tmp_path, stale), None
    first.start()
    try:
        use_broker(settings, url, first.queue)
        job = _job(actors, 4000, apply_requested=True)
        enqueue("catalog.import_job_run", job_id=job.pk)

        # when the worker is killed (SIGKILL) while it works on the job
        wait_for(
            lambda: ImportJob.objects.filter(pk=job.pk, rows_done__gt=0).exists(),
            60,
            "the job to start",
        )
        first.kill()
        mid = ImportJob.objects.get(pk=job.pk)

        # then a new worker, told by the periodic resume task, finishes it exactly once
        second = Worker(url, tmp_path, stale)
        second.queue = first.queue
        second.start()
        time.sleep(3.5)  # the heartbeat goes stale
        enqueue("catalog.import_jobs_resume")  # what beat sends every minute
        done = wait_for(
            lambda: ImportJob.objects.filter(pk=job.pk, status="DONE").first(), 120, "DONE"
        )
    finally:
        first.stop()
        if second:
            second.stop()

    assert mid.status in ("VALIDATING", "APPLYING") and mid.attempts == 1
    assert (done.rows_total, done.rows_created, done.attempts) == (4000, 4000, 2)
    skus = list(Product.objects.filter(cooperative=actors["coop"]).values_list("sku", flat=True))
    assert len(skus) == len(set(skus)) == 4000  # no duplicate, no lost row
    assert ProductEvent.objects.count() == 4000 and OutboxEvent.objects.count() == 4000


class _Out:
    def __init__(self):
        self.text = ""

    def write(self, s):
        self.text += s

    def flush(self):
        pass
