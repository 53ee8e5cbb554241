"""Image variants off the request: the upload is checked from its header and kept privately as a
PENDING image; the `catalog.product_image_process` task makes the variants (READY) or records why
it could not (FAILED), and pages, cards and the API never point at a file that is not made.

"With a broker configured" here means CELERY_BROKER_URL is set and the test's transaction never
commits: `enqueue` writes the task's row and nothing runs until the test runs that row itself
through `market.background.run_here` (what a worker's claim-and-run does). A real worker and
Redis run it in test_background_worker_images.py."""

import io
import random
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import translation
from PIL import Image

from catalog import images, services
from catalog.errors import ProductIncomplete
from catalog.models import ProductImage
from market.background import run_here
from market.models import BackgroundTask, Cooperative
from search.selectors import product_cards_for
from tests.conftest import client_for
from tests.factories.catalog import DraftProductFactory, ProductFactory

pytestmark = pytest.mark.django_db
TASK = "catalog.product_image_process"


def photo(size=(1600, 1200), seed=1) -> bytes:
    """A JPEG of noise: costs what a real photo costs to decode and encode."""
    rnd = random.Random(seed)
    out = io.BytesIO()
    Image.frombytes("RGB", size, rnd.randbytes(size[0] * size[1] * 3)).save(out, "JPEG", quality=85)
    return out.getvalue()


def corrupt_photo() -> bytes:
    """A JPEG whose header is whole but whose pixel data stops half-way: only decoding finds it."""
    data = photo(size=(400, 300))
    return data[: len(data) // 2]


def _files(root) -> list[str]:
    return (
        sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
        if root.exists()
        else []
    )


def _used(coop) -> int:
    return Cooperative.objects.get(pk=coop.pk).storage_used_bytes


@pytest.fixture
def queued(settings):
    """A broker is configured: uploads queue the task (a row) instead of running it."""
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # never reached: nothing commits


def _upload(actors, product, data) -> ProductImage:
    return services.product_image_add(
        actor=actors["staff"], cooperative_id=actors["coop"].pk, product_id=product.pk, data=data
    )


def _run_queued(image) -> BackgroundTask:
    """Run the image's queued task as a worker would (claim its row, run, record)."""
    row = BackgroundTask.objects.get(name=TASK, kwargs={"image_id": image.pk})
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert run_here(row.name, row.id, row.kwargs) is True
    row.refresh_from_db()
    image.refresh_from_db()
    return row


def test_with_a_broker_the_upload_answers_pending_at_once_and_queues_the_task(
    actors, queued, settings
):
    # given a 2400 × 1800 photo (3.5 MB)
    product = DraftProductFactory(cooperative=actors["coop"])
    data = photo(size=(2400, 1800))
    url = f"/api/v1/cooperatives/{actors['coop'].pk}/products/{product.pk}/images/"

    # when the cooperative uploads it (after a first request: that one pays for lazy imports)
    client = client_for(actors["staff"])
    client.get(f"/api/v1/cooperatives/{actors['coop'].pk}/products/{product.pk}/")
    started = time.process_time()
    response = client.post(url, {"image": SimpleUploadedFile("a.jpg", data)}, format="multipart")
    upload_cpu = time.process_time() - started

    # then the answer is PENDING, without variants, and the raw file is private only
    body = response.json()
    assert response.status_code == 201
    assert (body["status"], body["variants"], body["failure"]) == ("PENDING", {}, None)
    assert (body["width"], body["height"]) == (2400, 1800)
    image = ProductImage.objects.get(pk=body["id"])
    assert _files(settings.MEDIA_ROOT) == []
    assert _files(settings.PRIVATE_MEDIA_ROOT) == [image.upload.name]
    assert image.upload_bytes == len(data) == _used(actors["coop"])
    row = BackgroundTask.objects.get(name=TASK)
    assert (row.kwargs, row.status) == ({"image_id": image.pk}, "QUEUED")

    # and the request did none of the decoding: the task's work costs far more CPU
    started = time.process_time()
    _run_queued(image)
    task_cpu = time.process_time() - started
    assert image.status == "READY"
    assert upload_cpu < task_cpu / 3, (upload_cpu, task_cpu)


def test_the_task_makes_the_variants_publishes_them_and_counts_the_real_bytes(
    actors, queued, settings
):
    product = DraftProductFactory(cooperative=actors["coop"])
    image = _upload(actors, product, photo(size=(2000, 1000)))

    row = _run_queued(image)

    assert (row.status, image.status, image.failure_code) == ("DONE", "READY", "")
    assert (image.width, image.height) == (2000, 1000)
    assert {k: (v["width"], v["height"]) for k, v in image.variants.items()} == {
        "thumb": (160, 80),
        "card": (480, 240),
        "full": (1280, 640),
    }
    published = images.image_paths(image.original.name, image.variants)
    assert sorted(published) == _files(settings.MEDIA_ROOT) and len(published) == 7
    assert _used(actors["coop"]) == sum((settings.MEDIA_ROOT / p).stat().st_size for p in published)
    assert _files(settings.PRIVATE_MEDIA_ROOT) == []  # the raw upload is deleted
    assert (image.upload.name, image.upload_bytes) == ("", 0)


def test_running_the_task_again_or_after_a_crash_mid_way_gives_one_set_of_variants(
    actors, queued, settings
):
    # given an upload whose first run died after writing its files, before recording them
    product = DraftProductFactory(cooperative=actors["coop"])
    data = photo(size=(900, 600))
    image = _upload(actors, product, data)
    images.make_variants(data, stem=images.variant_stem(image.upload.name))
    assert len(_files(settings.MEDIA_ROOT)) == 7 and image.status == "PENDING"

    # when the task runs (the redelivered message), and then once more
    _run_queued(image)
    files, used = _files(settings.MEDIA_ROOT), _used(actors["coop"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        again = services.product_image_process(image_id=image.pk)
    row = BackgroundTask.objects.get(name=TASK)
    with TestCase.captureOnCommitCallbacks(execute=True):
        run_here(row.name, row.id, row.kwargs)  # its row says DONE: the claim skips it

    # then there is one set of files, all of them the image's own, counted once
    image.refresh_from_db()
    assert again == "READY" and image.status == "READY"
    assert (
        files
        == _files(settings.MEDIA_ROOT)
        == sorted(images.image_paths(image.original.name, image.variants))
    )
    assert _used(actors["coop"]) == used
    assert BackgroundTask.objects.get(pk=row.pk).status == "DONE"


def test_a_corrupt_photo_ends_failed_with_its_reason_no_variants_and_its_bytes_given_back(
    actors, queued, settings
):
    # given a photo whose header is fine and whose pixels stop half-way
    product = DraftProductFactory(cooperative=actors["coop"])
    data = corrupt_photo()
    image = _upload(actors, product, data)
    assert image.status == "PENDING" and _used(actors["coop"]) == len(data)

    # when the task decodes it
    row = _run_queued(image)

    # then the image FAILED with its reason, nothing is published, the quota is back to 0
    assert (row.status, image.status, image.failure_code) == ("DONE", "FAILED", "image_corrupt")
    assert image.variants == {} and not image.original
    assert _files(settings.MEDIA_ROOT) == [] and _files(settings.PRIVATE_MEDIA_ROOT) == []
    assert _used(actors["coop"]) == 0
    with translation.override("vi"):
        assert image.failure_message.startswith("Không đọc được ảnh")
    with translation.override("en"):
        assert image.failure_message.startswith("The photo could not be read")

    # and the cooperative sees it in the API and in its editor, with a way to delete it
    api = client_for(actors["staff"]).get(
        f"/api/v1/cooperatives/{actors['coop'].pk}/products/{product.pk}/"
    )
    assert api.json()["images"][0]["failure"] == {
        "code": "image_corrupt",
        "message": api.json()["images"][0]["failure"]["message"],
    }
    assert api.json()["images"][0]["variants"] == {}
    editor = Client()
    editor.force_login(actors["staff"])
    html = editor.get(
        reverse("frontend:coop_product_edit", args=[actors["coop"].pk, product.pk])
    ).content.decode()
    delete_url = reverse(
        "frontend:coop_product_image_delete", args=[actors["coop"].pk, product.pk, image.pk]
    )
    assert "Không đọc được ảnh" in html and delete_url in html
    assert 'data-status="FAILED"' in html and "<picture>" not in html

    # and deleting it removes it and gives back nothing more (it holds nothing)
    editor.post(delete_url)
    assert not ProductImage.objects.filter(pk=image.pk).exists()
    assert _used(actors["coop"]) == 0


def test_a_failed_photo_does_not_count_for_publishing(actors, queued):
    product = DraftProductFactory(cooperative=actors["coop"])
    _run_queued(_upload(actors, product, corrupt_photo()))

    with pytest.raises(ProductIncomplete) as exc:
        services.product_publish(
            actor=actors["staff"], cooperative_id=actors["coop"].pk, product_id=product.pk
        )

    assert exc.value.code == "product_incomplete" and "images" in exc.value.fields
    product.refresh_from_db()
    assert product.status == "DRAFT"


def test_a_pending_photo_does_not_count_for_publishing_until_it_is_ready(actors, queued):
    # given a draft whose only photo is still being processed (it may yet fail)
    product = DraftProductFactory(cooperative=actors["coop"])
    image = _upload(actors, product, photo(size=(600, 400)))
    kw = {"actor": actors["staff"], "cooperative_id": actors["coop"].pk, "product_id": product.pk}

    # when it is published, it is refused with the reason, and nothing changes
    with translation.override("vi"), pytest.raises(ProductIncomplete) as exc:
        services.product_publish(**kw)
    assert (
        exc.value.fields["images"] == "Ảnh của bạn đang được xử lý: hãy đăng bán lại sau một phút."
    )
    product.refresh_from_db()
    assert product.status == "DRAFT" and product.published_at is None

    # when the photo is ready, the same request publishes it
    _run_queued(image)
    services.product_publish(**kw)
    product.refresh_from_db()
    assert image.status == "READY" and product.status == "ACTIVE"


def test_the_only_ready_photo_of_a_published_product_stays_while_another_is_pending(actors, queued):
    # given a published product with one READY photo and one still PENDING
    product = ProductFactory(cooperative=actors["coop"])
    ready = _upload(actors, product, photo(size=(600, 400), seed=2))
    _run_queued(ready)
    pending = _upload(actors, product, photo(size=(600, 400), seed=3))
    kw = {"actor": actors["staff"], "cooperative_id": actors["coop"].pk, "product_id": product.pk}

    # when the ready one is deleted, it is refused (the pending one may still fail)
    with pytest.raises(ProductIncomplete) as exc:
        services.product_image_delete(**kw, image_id=ready.pk)
    assert "images" in exc.value.fields
    assert set(ProductImage.objects.filter(family=product.family).values_list("pk", flat=True)) == {
        ready.pk,
        pending.pk,
    }

    # the pending one may go
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.product_image_delete(**kw, image_id=pending.pk)
    assert list(ProductImage.objects.filter(family=product.family)) == [ready]


def test_a_processed_photo_that_no_longer_fits_the_quota_fails_and_holds_nothing(
    actors, queued, settings
):
    # given a small upload accepted while the quota had room for its raw bytes only
    settings.COOPERATIVE_STORAGE_QUOTA_MB = 1
    product = DraftProductFactory(cooperative=actors["coop"])
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (200, 30, 30)).save(out, "PNG")
    data = out.getvalue()  # 5 kB of PNG; its seven processed files take about 17 kB
    Cooperative.objects.filter(pk=actors["coop"].pk).update(
        storage_used_bytes=1024 * 1024 - len(data) - 10
    )
    image = _upload(actors, product, data)

    # when its variants (more bytes than the upload) are made
    _run_queued(image)

    # then it FAILED for the quota, no file is kept, and the quota is as before the upload
    assert (image.status, image.failure_code) == ("FAILED", "storage_quota_exceeded")
    assert _files(settings.MEDIA_ROOT) == [] and _files(settings.PRIVATE_MEDIA_ROOT) == []
    assert _used(actors["coop"]) == 1024 * 1024 - len(data) - 10


def test_deleting_a_pending_photo_gives_its_bytes_back_and_its_task_then_does_nothing(
    actors, queued, settings
):
    product = DraftProductFactory(cooperative=actors["coop"])
    image = _upload(actors, product, photo(size=(600, 400)))

    with TestCase.captureOnCommitCallbacks(execute=True):
        services.product_image_delete(
            actor=actors["staff"],
            cooperative_id=actors["coop"].pk,
            product_id=product.pk,
            image_id=image.pk,
        )
    with TestCase.captureOnCommitCallbacks(execute=True):
        outcome = services.product_image_process(image_id=image.pk)

    assert outcome == "GONE"
    assert _used(actors["coop"]) == 0
    assert _files(settings.MEDIA_ROOT) == [] and _files(settings.PRIVATE_MEDIA_ROOT) == []


def test_a_pending_photo_shows_a_placeholder_and_no_picture_anywhere(actors, queued):
    # given a published product whose only photo is still being processed
    product = ProductFactory(cooperative=actors["coop"])
    image = _upload(actors, product, photo(size=(600, 400)))
    guest = Client()

    # then the product page, the cooperative's page (family cards) and the editor show a
    # placeholder, never an <img> of a file that does not exist
    page = guest.get(reverse("frontend:product", args=[product.pk, product.slug])).content.decode()
    profile = guest.get(
        reverse("frontend:coop_profile", args=[actors["coop"].slug])
    ).content.decode()
    editor = Client()
    editor.force_login(actors["staff"])
    edit = editor.get(
        reverse("frontend:coop_product_edit", args=[actors["coop"].pk, product.pk])
    ).content.decode()
    for html in (page, profile, edit):
        assert 'class="photo-placeholder" role="img"' in html and 'data-status="PENDING"' in html
        assert "<picture>" not in html and "/media/" not in html
    assert "Ảnh đang được xử lý" in page

    # and the search card has no thumbnail, the API no variant URL
    (card,) = product_cards_for([product.family_id])
    assert card.thumbnail_url is None
    api = Client().get(f"/api/v1/families/{product.family_id}/").json()
    assert [(i["id"], i["status"], i["variants"]) for i in api["images"]] == [
        (image.pk, "PENDING", {})
    ]


def test_a_ready_photo_is_shown_before_pending_and_failed_ones(actors, queued):
    # given a product with a FAILED photo first, then a READY one, then a PENDING one
    product = ProductFactory(cooperative=actors["coop"])
    failed = _upload(actors, product, corrupt_photo())
    _run_queued(failed)
    ready = _upload(actors, product, photo(size=(600, 400), seed=2))
    _run_queued(ready)
    pending = _upload(actors, product, photo(size=(600, 400), seed=3))

    page = Client().get(reverse("frontend:product", args=[product.pk, product.slug]))
    (card,) = product_cards_for([product.family_id])

    html = page.content.decode()
    assert ready.variants["full"]["jpeg"] in html
    assert "photo-placeholder" not in html  # buyers see the ready photo only
    assert failed.status == "FAILED" and pending.status == "PENDING"
    assert card.thumbnail_url.endswith(ready.variants["thumb"]["jpeg"])

    # and the API's cover is the ready photo: buyers get no failed photo, its cooperative does
    public = Client().get(f"/api/v1/families/{product.family_id}/").json()["images"]
    own = (
        client_for(actors["staff"])
        .get(f"/api/v1/cooperatives/{actors['coop'].pk}/products/{product.pk}/")
        .json()["images"]
    )
    assert [(i["id"], i["is_cover"]) for i in public] == [(ready.pk, True), (pending.pk, False)]
    assert [(i["id"], i["status"], i["is_cover"]) for i in own] == [
        (failed.pk, "FAILED", False),
        (ready.pk, "READY", True),
        (pending.pk, "PENDING", False),
    ]


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_the_upload_answers_ready_with_its_variants(actors, settings):
    # given no broker (make run): the task runs in this process when the upload commits
    assert settings.CELERY_BROKER_URL == ""
    product = DraftProductFactory(cooperative=actors["coop"])
    url = f"/api/v1/cooperatives/{actors['coop'].pk}/products/{product.pk}/images/"

    response = client_for(actors["staff"]).post(
        url, {"image": SimpleUploadedFile("a.jpg", photo(size=(800, 600)))}, format="multipart"
    )

    body = response.json()
    assert (response.status_code, body["status"], body["failure"]) == (201, "READY", None)
    assert set(body["variants"]) == {"thumb", "card", "full"}
    assert body["variants"]["card"]["jpeg"].startswith(settings.MEDIA_URL)
    assert _files(settings.PRIVATE_MEDIA_ROOT) == []
    assert not BackgroundTask.objects.exists()  # nothing queued, nothing failed


def test_the_editor_says_a_photo_is_being_processed_when_a_worker_will_make_it(actors, queued):
    product = DraftProductFactory(cooperative=actors["coop"])
    editor = Client()
    editor.force_login(actors["staff"])

    response = editor.post(
        reverse("frontend:coop_product_image_add", args=[actors["coop"].pk, product.pk]),
        {"image": SimpleUploadedFile("a.jpg", photo(size=(600, 400)), "image/jpeg")},
        follow=True,
    )

    texts = [str(m) for m in response.context["messages"]]
    assert texts == ["Đã tải ảnh lên. Ảnh sẽ hiện ở đây ngay khi xử lý xong."]
    assert product.family.images.get().status == "PENDING"
    assert 'data-status="PENDING"' in response.content.decode()


def test_a_storage_failure_is_a_failed_task_an_admin_retries_and_the_photo_then_gets_ready(
    actors, queued, settings, tmp_path
):
    # given a queued photo and public storage that cannot be written (a file where a folder
    # must be)
    from market.background import retry_failed
    from tests.celery_worker import use_broker

    use_broker(settings, "redis://127.0.0.1:1/0", "test-nowhere")  # publishing fails fast
    product = DraftProductFactory(cooperative=actors["coop"])
    image = _upload(actors, product, photo(size=(600, 400)))
    media = settings.MEDIA_ROOT
    (tmp_path / "blocked").write_text("not a folder")
    settings.MEDIA_ROOT = tmp_path / "blocked" / "media"

    # when the task runs, it fails: the failure is a FAILED task row, the photo waits
    row = BackgroundTask.objects.get(name=TASK)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert run_here(row.name, row.id, row.kwargs) is False
    row.refresh_from_db()
    image.refresh_from_db()
    assert (row.status, row.attempts) == ("FAILED", 1)
    assert "NotADirectoryError" in row.last_error or "FileExistsError" in row.last_error
    assert (image.status, image.upload_bytes) == ("PENDING", _used(actors["coop"]))
    assert _files(settings.PRIVATE_MEDIA_ROOT) == [image.upload.name]  # the upload is kept

    # when the storage is back and an admin retries the task (admin › Background tasks)
    settings.MEDIA_ROOT = media
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert retry_failed(task_ids=[row.pk]) == 1
    assert BackgroundTask.objects.get(pk=row.pk).status == "QUEUED"  # the broker is away
    _run_queued(image)

    # then the photo is READY with its files, and the task row DONE
    assert image.status == "READY" and len(_files(media)) == 7
    assert BackgroundTask.objects.get(pk=row.pk).status == "DONE"
