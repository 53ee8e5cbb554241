"""The image pipeline, on files generated inside each test. Uploads are checked in the request and
processed by the `catalog.product_image_process` task after commit; with no broker (these tests)
the task runs in this process at the commit, which `_add` reaches (tests/integration/
test_catalog_image_task.py covers the task itself, test_background_worker_images.py a real
worker)."""

import io
import struct
import zlib

import pytest
from django.core.files.storage import default_storage
from django.test import TestCase
from PIL import Image

from catalog import services
from catalog.errors import ImageInvalid, ImageOrderInvalid, ImageTooLarge, ProductIncomplete
from catalog.models import ProductEvent, ProductImage
from market.errors import NotFound
from market.models import OutboxEvent
from tests.factories.catalog import DraftProductFactory, ProductFactory, jpeg_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body))
        + kind
        + body
        + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    )


def png_bomb(width=20_000, height=20_000) -> bytes:
    """A valid 1-bit PNG of 20000×20000 pixels: a few tens of kB on disk, 400 megapixels decoded."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", data)
        + _png_chunk(b"IEND", b"")
    )


def gps_jpeg(orientation=None) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    if orientation:
        exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (21.0, 1.0, 30.0), 3: "E", 4: (105.0, 51.0, 2.0)})
    return jpeg_bytes(size=(200, 100), exif=exif)


def _files(tmp_media):
    return sorted(p.name for p in tmp_media.rglob("*") if p.is_file()) if tmp_media.exists() else []


def _add(actors, product, data):
    """Upload, and let the commit's work run (the test's transaction never commits)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        image = services.product_image_add(
            actor=actors["staff"],
            cooperative_id=actors["coop"].pk,
            product_id=product.pk,
            data=data,
        )
    image.refresh_from_db()
    return image


def test_an_upload_gets_webp_and_jpeg_variants_of_three_sizes(actors, settings):
    settings.SEARCH_SYNC_ON_COMMIT = False  # keep the outbox rows for the assertion
    product = DraftProductFactory(cooperative=actors["coop"])

    image = _add(actors, product, jpeg_bytes(size=(2000, 1000)))

    assert (image.width, image.height, image.position, image.status) == (2000, 1000, 0, "READY")
    assert {k: (v["width"], v["height"]) for k, v in image.variants.items()} == {
        "thumb": (160, 80),
        "card": (480, 240),
        "full": (1280, 640),
    }
    for entry in image.variants.values():
        with default_storage.open(entry["webp"]) as fh:
            assert Image.open(fh).format == "WEBP"
        with default_storage.open(entry["jpeg"]) as fh:
            assert Image.open(fh).format == "JPEG"
    assert (settings.MEDIA_ROOT / image.original.name).is_file()
    assert _files(settings.PRIVATE_MEDIA_ROOT) == []  # the raw upload is gone
    assert image.upload.name == "" and image.upload_bytes == 0
    assert ProductEvent.objects.get(product=product).action == "image_added"
    # one outbox row at the upload, one when the photo became ready (the cards change)
    assert OutboxEvent.objects.filter(entity_id=product.pk).count() == 2


def test_gps_and_all_exif_are_gone_after_upload_and_orientation_is_applied(actors):
    product = DraftProductFactory(cooperative=actors["coop"])
    upload = gps_jpeg(orientation=6)  # "rotate 90° clockwise to display"
    assert Image.open(io.BytesIO(upload)).getexif().get_ifd(0x8825)  # the input really has GPS

    image = _add(actors, product, upload)

    assert (image.width, image.height) == (100, 200)  # rotated upright
    paths = [image.original.name] + [
        e[k] for e in image.variants.values() for k in ("webp", "jpeg")
    ]
    for path in paths:
        with default_storage.open(path) as fh:
            stored = Image.open(fh)
            stored.load()
            assert dict(stored.getexif()) == {}
            assert (
                "exif" not in stored.info
                and "xmp" not in stored.info
                and "icc_profile" not in stored.info
            )
            assert b"PhoneMaker" not in default_storage.open(path).read()


def test_an_html_file_renamed_jpg_is_rejected_and_nothing_is_stored(actors, settings):
    product = DraftProductFactory(cooperative=actors["coop"])

    with pytest.raises(ImageInvalid) as exc:
        _add(actors, product, b"<!DOCTYPE html><html><script>alert(1)</script></html>")

    assert exc.value.code == "image_invalid"
    assert ProductImage.objects.count() == 0 and ProductEvent.objects.count() == 0
    assert _files(settings.MEDIA_ROOT) == [] and _files(settings.PRIVATE_MEDIA_ROOT) == []


def test_a_gif_is_a_real_image_but_not_an_accepted_format(actors):
    product = DraftProductFactory(cooperative=actors["coop"])
    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, "GIF")

    with pytest.raises(ImageInvalid):
        _add(actors, product, out.getvalue())

    assert ProductImage.objects.count() == 0


def test_a_jpeg_cut_before_its_frame_header_is_rejected_at_upload(actors, settings):
    product = DraftProductFactory(cooperative=actors["coop"])

    with pytest.raises(ImageInvalid):
        _add(actors, product, jpeg_bytes(size=(300, 300))[:200])

    assert ProductImage.objects.count() == 0
    assert _files(settings.MEDIA_ROOT) == [] and _files(settings.PRIVATE_MEDIA_ROOT) == []


def test_a_20000_by_20000_png_bomb_is_rejected_with_a_specific_error(actors, settings):
    product = DraftProductFactory(cooperative=actors["coop"])
    bomb = png_bomb()
    assert len(bomb) < 200_000

    with pytest.raises(ImageTooLarge) as exc:
        _add(actors, product, bomb)

    assert exc.value.code == "image_too_large"
    assert ProductImage.objects.count() == 0 and OutboxEvent.objects.count() == 0
    assert _files(settings.MEDIA_ROOT) == [] and _files(settings.PRIVATE_MEDIA_ROOT) == []


def test_pillows_own_bomb_guard_is_an_error_too(monkeypatch):
    # Just above Pillow's warning threshold: the warning must be turned into a rejection.
    from catalog import images

    monkeypatch.setattr(images, "MAX_PIXELS", 10**12)  # our header check out of the way
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)

    with pytest.raises(ImageTooLarge):
        images.process_image(jpeg_bytes(size=(40, 30)), folder="t")


def test_strangers_cannot_upload_and_nothing_is_decoded_or_written(actors, settings):
    product = ProductFactory(cooperative=actors["coop"])

    with pytest.raises(NotFound):
        services.product_image_add(
            actor=actors["other_staff"],
            cooperative_id=actors["coop"].pk,
            product_id=product.pk,
            data=jpeg_bytes(),
        )

    assert ProductImage.objects.count() == 0
    assert _files(settings.MEDIA_ROOT) == [] and _files(settings.PRIVATE_MEDIA_ROOT) == []


def test_reorder_makes_the_first_image_the_cover(actors):
    product = DraftProductFactory(cooperative=actors["coop"])
    a, b, c = (_add(actors, product, jpeg_bytes(color=(i * 60, 0, 0))) for i in range(3))

    services.product_image_reorder(
        actor=actors["staff"],
        cooperative_id=actors["coop"].pk,
        product_id=product.pk,
        image_ids=[c.pk, a.pk, b.pk],
    )

    assert list(product.family.images.values_list("pk", flat=True)) == [c.pk, a.pk, b.pk]
    with pytest.raises(ImageOrderInvalid):
        services.product_image_reorder(
            actor=actors["staff"],
            cooperative_id=actors["coop"].pk,
            product_id=product.pk,
            image_ids=[a.pk, b.pk],
        )
    assert list(product.family.images.values_list("pk", flat=True)) == [c.pk, a.pk, b.pk]


def test_delete_renumbers_and_removes_files_after_commit(
    actors, settings, django_capture_on_commit_callbacks
):
    product = DraftProductFactory(cooperative=actors["coop"])
    a, b = _add(actors, product, jpeg_bytes()), _add(actors, product, jpeg_bytes())

    with django_capture_on_commit_callbacks(execute=True):
        services.product_image_delete(
            actor=actors["staff"],
            cooperative_id=actors["coop"].pk,
            product_id=product.pk,
            image_id=a.pk,
        )

    assert list(product.family.images.values_list("pk", "position")) == [(b.pk, 0)]
    assert not (settings.MEDIA_ROOT / a.original.name).exists()
    assert (settings.MEDIA_ROOT / b.original.name).exists()


def test_an_active_product_keeps_its_last_image(actors):
    product = DraftProductFactory(cooperative=actors["coop"])
    image = _add(actors, product, jpeg_bytes())
    services.product_publish(
        actor=actors["staff"], cooperative_id=actors["coop"].pk, product_id=product.pk
    )

    with pytest.raises(ProductIncomplete):
        services.product_image_delete(
            actor=actors["staff"],
            cooperative_id=actors["coop"].pk,
            product_id=product.pk,
            image_id=image.pk,
        )

    assert ProductImage.objects.filter(pk=image.pk).exists()
