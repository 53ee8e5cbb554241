"""Image variants on a real Redis broker and a real Celery worker process (no eager mode): the
upload answers PENDING once its transaction commits and the task is published; the worker makes
the variants (READY) or records why it could not (FAILED), each once."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog import images
from catalog.models import ProductImage
from market.models import BackgroundTask, Cooperative
from tests.celery_worker import Worker, use_broker, wait_for
from tests.conftest import client_for, service_missing
from tests.factories.catalog import DraftProductFactory
from tests.integration.test_catalog_image_task import corrupt_photo, photo

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]
TASK = "catalog.product_image_process"


@pytest.fixture(scope="module")
def image_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """A worker whose media and private storage are directories this module shares with it (the
    raw upload written here must be the file the worker reads)."""
    import os

    url = os.environ.get("REDIS_TEST_URL")
    if not url:
        service_missing("no Redis (services/svc redis start)")
    root = tmp_path_factory.mktemp("image-worker")
    worker = Worker(
        url,
        root,
        {"MEDIA_ROOT": str(root / "media"), "PRIVATE_MEDIA_ROOT": str(root / "private")},
    )
    with django_db_blocker.unblock():
        worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def on_worker(image_worker, settings):
    root = image_worker.log_dir
    settings.MEDIA_ROOT = root / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root / "private"), "base_url": None},
        },
    }
    use_broker(settings, image_worker.broker_url, image_worker.queue)
    return image_worker


def _post(actors, product, data):
    url = f"/api/v1/cooperatives/{actors['coop'].pk}/products/{product.pk}/images/"
    return client_for(actors["staff"]).post(
        url, {"image": SimpleUploadedFile("a.jpg", data)}, format="multipart"
    )


def _done(image_id: int) -> ProductImage | None:
    image = ProductImage.objects.get(pk=image_id)
    return image if image.status != "PENDING" and not image.upload else None


def test_an_upload_is_processed_once_by_the_worker_after_its_commit(
    transactional_db, actors, on_worker
):
    # given a cooperative uploading a 2400 × 1800 photo
    product = DraftProductFactory(cooperative=actors["coop"])
    data = photo(size=(2400, 1800))

    # when it uploads it
    response = _post(actors, product, data)

    # then the answer came before the work: PENDING, no variants, the raw bytes counted
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["variants"]) == ("PENDING", {})
    image_id = response.json()["id"]
    row = BackgroundTask.objects.get(name=TASK, kwargs={"image_id": image_id})

    # and the worker makes the variants once: READY, its own seven files, the real bytes counted
    image = wait_for(lambda: _done(image_id), 60, "the image to be processed")
    assert (image.status, image.failure_code) == ("READY", "")
    assert {k: (v["width"], v["height"]) for k, v in image.variants.items()} == {
        "thumb": (160, 120),
        "card": (480, 360),
        "full": (1280, 960),
    }
    paths = images.image_paths(image.original.name, image.variants)
    media = on_worker.log_dir / "media"
    assert sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()) == sorted(
        paths
    )
    assert not any(p.is_file() for p in (on_worker.log_dir / "private").rglob("*"))
    used = Cooperative.objects.get(pk=actors["coop"].pk).storage_used_bytes
    assert used == sum((media / p).stat().st_size for p in paths)
    row = wait_for(
        lambda: BackgroundTask.objects.filter(pk=row.pk, status="DONE").first(), 30, "DONE"
    )
    assert row.attempts == 0
    assert on_worker.log().count(f"Task {TASK}[{row.pk}] succeeded") == 1

    # and the product API shows it with its variant URLs
    detail = client_for(actors["staff"]).get(
        f"/api/v1/cooperatives/{actors['coop'].pk}/products/{product.pk}/"
    )
    (shown,) = detail.json()["images"]
    assert shown["status"] == "READY"
    assert shown["variants"]["card"]["jpeg"].endswith(image.variants["card"]["jpeg"])


def test_a_corrupt_upload_ends_failed_on_the_worker_with_its_bytes_given_back(
    transactional_db, actors, on_worker
):
    product = DraftProductFactory(cooperative=actors["coop"])

    response = _post(actors, product, corrupt_photo())

    assert (response.status_code, response.json()["status"]) == (201, "PENDING")
    image = wait_for(lambda: _done(response.json()["id"]), 60, "the image to be processed")
    assert (image.status, image.failure_code, image.variants) == ("FAILED", "image_corrupt", {})
    assert Cooperative.objects.get(pk=actors["coop"].pk).storage_used_bytes == 0
    row = BackgroundTask.objects.get(name=TASK, kwargs={"image_id": image.pk})
    wait_for(lambda: BackgroundTask.objects.get(pk=row.pk).status == "DONE", 30, "DONE")
    # a photo that does not decode is the cooperative's to fix, not a task to retry
    assert f"Task {TASK}[{row.pk}] retry" not in on_worker.log()


def test_a_worker_killed_while_it_makes_the_variants_leaves_the_work_to_the_next_one(
    transactional_db, actors, settings, tmp_path
):
    # given a worker whose unacknowledged messages go back to the queue after 40 s (the claim
    # of a RUNNING task row goes stale after its 8 s time limit + 30 s), and a 16-megapixel
    # photo of noise (a few seconds of work)
    import os

    url = os.environ.get("REDIS_TEST_URL")
    if not url:
        service_missing("no Redis (services/svc redis start)")
    env = {
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "CELERY_VISIBILITY_TIMEOUT": "40",
        "CELERY_TASK_TIME_LIMIT": "8",
        "CELERY_TASK_SOFT_TIME_LIMIT": "7",
    }
    first, second = Worker(url, tmp_path, env), None
    first.start()
    try:
        settings.MEDIA_ROOT = tmp_path / "media"
        settings.STORAGES = {
            **settings.STORAGES,
            "private": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
            },
        }
        use_broker(settings, url, first.queue)
        product = DraftProductFactory(cooperative=actors["coop"])
        data = photo(size=(4096, 4096), seed=7)

        # when the worker is killed (SIGKILL: no acknowledgement) while the task runs
        image_id = _post(actors, product, data).json()["id"]
        row = BackgroundTask.objects.get(name=TASK, kwargs={"image_id": image_id})
        wait_for(
            lambda: BackgroundTask.objects.filter(pk=row.pk, status="RUNNING").exists(),
            60,
            "the task to start",
        )
        taken = time.monotonic()
        first.kill()
        at_kill = ProductImage.objects.get(pk=image_id)

        # then the next worker, started once the message is visible again (a worker puts such
        # messages back when it starts, then only every ~100 s), finishes the image once
        time.sleep(max(0.0, taken + 41 - time.monotonic()))
        second = Worker(url, tmp_path, env)
        second.queue = first.queue
        second.start()
        image = wait_for(lambda: _done(image_id), 120, "the image to be processed")
    finally:
        first.stop()
        if second:
            second.stop()

    assert at_kill.status == "PENDING"  # the kill came mid-task, not after it
    assert (image.status, image.failure_code) == ("READY", "")
    paths = images.image_paths(image.original.name, image.variants)
    media = tmp_path / "media"
    assert sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()) == sorted(
        paths
    )  # one set of files: the second run replaced what the first one had written
    assert Cooperative.objects.get(pk=actors["coop"].pk).storage_used_bytes == sum(
        (media / p).stat().st_size for p in paths
    )
    assert BackgroundTask.objects.get(pk=row.pk).status == "DONE"
    assert second.log().count(f"Task {TASK}[{row.pk}] succeeded") == 1
