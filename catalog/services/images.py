"""Product images: add (checked in the request, processed by a background task), reorder (first
= cover), delete.

Photos belong to the family: adding one through any of its variants shows it on all of them.

An upload's life: `product_image_add` checks it from its header, keeps the raw bytes privately,
counts them against the quota and appends a PENDING image; after commit it queues
`catalog.product_image_process` (market.background.enqueue: a Celery worker with a broker, this
process right after the commit without one). `product_image_process` decodes it, writes the
variants, puts the real stored size in the quota in place of the raw bytes and marks it READY;
an image that does not decode ends FAILED with its reason, no variants, its bytes given back."""

import logging

from django.db import transaction
from django.db.models import Max

from catalog import images
from catalog.errors import (
    ImageInvalid,
    ImageOrderInvalid,
    ImageTooLarge,
    ProductArchived,
    ProductIncomplete,
)
from catalog.models import Product, ProductEvent, ProductImage
from catalog.selectors import product_get_for_staff
from catalog.services.common import changed, lock_own_product, upload_check
from market.background import enqueue
from market.cooperatives import quota
from market.models import User
from market.shared.outbox import record_changes

log = logging.getLogger("htx.catalog")
Status = ProductImage.Status


def product_image_add(
    *,
    actor: User,
    cooperative_id: int,
    product_id: int,
    data: bytes,
    alt_vi: str = "",
    alt_en: str = "",
) -> ProductImage:
    """Check an upload from its header (size, format, pixel count), keep it privately and append
    it to the product as a PENDING image (the first one is the cover); its variants are made
    after commit by `catalog.product_image_process`. Raises NotFound, ProductArchived,
    ImageInvalid, ImageTooLarge, CooperativeNotSubmitted, StorageQuotaExceeded; stores nothing
    then."""
    # Authorise before touching the file: strangers must not make us parse or write anything.
    product_get_for_staff(user=actor, cooperative_id=cooperative_id, product_id=product_id)
    upload_check(cooperative_id)
    width, height = images.check_upload(data)
    name = images.save_upload(data, folder=f"products/{cooperative_id}/{product_id}")
    try:
        image = _attach_upload(
            actor, cooperative_id, product_id, name, len(data), (width, height), alt_vi, alt_en
        )
    except BaseException:
        images.delete_upload(name)
        raise
    image.refresh_from_db()  # with no broker the task ran at the commit: say how it ended
    return image


@transaction.atomic
def _attach_upload(
    actor: User,
    cooperative_id: int,
    product_id: int,
    upload_name: str,
    nbytes: int,
    size: tuple[int, int],
    alt_vi: str,
    alt_en: str,
) -> ProductImage:
    product = lock_own_product(actor=actor, cooperative_id=cooperative_id, product_id=product_id)
    if product.status == Product.Status.ARCHIVED:
        raise ProductArchived()
    quota.storage_reserve(cooperative_id=cooperative_id, nbytes=nbytes)
    last = product.family.images.aggregate(m=Max("position"))["m"]
    image = ProductImage(
        family_id=product.family_id,
        position=0 if last is None else last + 1,
        width=size[0],
        height=size[1],
        variants={},
        status=Status.PENDING,
        upload_bytes=nbytes,
        alt_vi=alt_vi,
        alt_en=alt_en,
    )
    image.upload.name = upload_name
    image.save()
    changed(
        product,
        actor=actor,
        action=ProductEvent.Action.IMAGE_ADDED,
        changes={"image_id": image.pk, "position": image.position},
    )
    enqueue("catalog.product_image_process", image_id=image.pk)
    return image


def product_image_process(*, image_id: int) -> str:
    """Make the variants of a PENDING image (the task `catalog.product_image_process`) and return
    its status. Idempotent: an image that is READY, FAILED or deleted is left as it is; the
    files go to names derived from the upload, so a re-run after a crash replaces them instead
    of adding a second set. Raises only what another attempt may fix (storage, database)."""
    image = ProductImage.objects.filter(pk=image_id).first()
    if image is None:
        return "GONE"
    if image.status != Status.PENDING:
        _upload_discard(image)  # a run that crashed after its commit left the raw file
        return image.status
    name = image.upload.name or ""
    data = images.read_upload(name) if name else None
    if data is None:
        return _finish(image_id, processed=None, failure="upload_missing")
    try:
        clean = images.decode_clean(data)
    except ImageTooLarge:
        return _finish(image_id, processed=None, failure="image_too_large")
    except MemoryError:  # the worker's fault, not the file's: retried (and on another worker)
        raise
    except Exception as exc:
        # Whatever Pillow raises while decoding bytes in memory is the file's fault (a damaged
        # file can raise more than ImageInvalid's list): retrying would only fail again.
        if not isinstance(exc, ImageInvalid):
            log.warning("image %s does not decode: %r", image_id, exc)
        return _finish(image_id, processed=None, failure="image_corrupt")
    # Storage errors here are worth a retry: they raise.
    processed = images.write_variants(clean, stem=images.variant_stem(name))
    return _finish(image_id, processed=processed, failure="")


def _finish(image_id: int, *, processed: images.ProcessedImage | None, failure: str) -> str:
    # No clean-up of the written files when this raises (the database is away): a retry writes
    # them again under the same names, and a deleted image's run deletes them (_record).
    paths = images.image_paths(processed.original, processed.variants) if processed else []
    return _record(image_id, processed, paths, failure)


@transaction.atomic
def _record(
    image_id: int, processed: images.ProcessedImage | None, paths: list[str], failure: str
) -> str:
    # The row lock orders this against product_image_delete (which locks the row too).
    image = (
        ProductImage.objects.select_for_update(of=("self",))
        .select_related("family")
        .filter(pk=image_id)
        .first()
    )
    if image is None or image.status != Status.PENDING:
        # Deleted, or finished by another run meanwhile: keep only the files its row names.
        kept = (
            set(images.image_paths(image.original.name or "", image.variants)) if image else set()
        )
        transaction.on_commit(lambda: images.delete_files([p for p in paths if p not in kept]))
        return image.status if image else "GONE"
    coop_id = image.family.cooperative_id
    quota.storage_release(cooperative_id=coop_id, nbytes=image.upload_bytes)
    if processed is not None and not failure:
        try:
            with transaction.atomic():
                quota.storage_reserve(cooperative_id=coop_id, nbytes=images.stored_bytes(paths))
        except quota.StorageQuotaExceeded:
            failure = "storage_quota_exceeded"
    if failure or processed is None:
        transaction.on_commit(lambda: images.delete_files(paths))
        image.status, image.failure_code = Status.FAILED, failure or "image_corrupt"
    else:
        image.status, image.failure_code = Status.READY, ""
        image.original.name = processed.original
        image.width, image.height, image.variants = (
            processed.width,
            processed.height,
            processed.variants,
        )
    image.upload_bytes = 0
    image.save()
    # The family's pages and cards change (a photo appears): search and the page cache hear it.
    record_changes(entity="product", ids=image.family.variants.values_list("pk", flat=True))
    transaction.on_commit(lambda: _upload_discard(image))
    log.info("image %s %s%s", image_id, image.status, f" ({failure})" if failure else "")
    return image.status


def _upload_discard(image: ProductImage) -> None:
    """Delete the raw upload of a finished image and forget its name (after the commit that
    finished it; a crash in between is cleaned by the next run)."""
    if image.upload.name:
        images.delete_upload(image.upload.name)
        ProductImage.objects.filter(pk=image.pk).update(upload="")


def attach_processed(
    product: Product,
    processed: images.ProcessedImage,
    *,
    actor: User | None,
    alt_vi: str = "",
    alt_en: str = "",
) -> ProductImage:
    """Append an already processed image (also used by the demo seeder, which reuses images)."""
    last = product.family.images.aggregate(m=Max("position"))["m"]
    image = ProductImage(
        family_id=product.family_id,
        position=0 if last is None else last + 1,
        width=processed.width,
        height=processed.height,
        variants=processed.variants,
        alt_vi=alt_vi,
        alt_en=alt_en,
    )
    image.original.name = processed.original
    image.save()
    changed(
        product,
        actor=actor,
        action=ProductEvent.Action.IMAGE_ADDED,
        changes={"image_id": image.pk, "position": image.position},
    )
    return image


@transaction.atomic
def product_image_reorder(
    *, actor: User, cooperative_id: int, product_id: int, image_ids: list[int]
) -> list[ProductImage]:
    """Put the images in this order; the first becomes the cover. `image_ids` must list every image
    of the product once. Raises NotFound, ImageOrderInvalid."""
    product = lock_own_product(actor=actor, cooperative_id=cooperative_id, product_id=product_id)
    current = list(product.family.images.all())
    if sorted(image_ids) != sorted(i.pk for i in current) or len(set(image_ids)) != len(image_ids):
        raise ImageOrderInvalid(fields={"image_ids": [i.pk for i in current]})
    by_id = {i.pk: i for i in current}
    before = [i.pk for i in current]
    for position, pk in enumerate(image_ids):
        by_id[pk].position = position
    ProductImage.objects.bulk_update(current, ["position"])
    changed(
        product,
        actor=actor,
        action=ProductEvent.Action.IMAGES_REORDERED,
        changes={"before": before, "after": image_ids},
    )
    return [by_id[pk] for pk in image_ids]


@transaction.atomic
def product_image_delete(
    *, actor: User, cooperative_id: int, product_id: int, image_id: int
) -> None:
    """Remove one image (files go after commit). An ACTIVE product keeps at least one READY
    image (a pending one may still fail). Raises NotFound, ProductIncomplete."""
    from django.utils.translation import gettext as _

    from market.errors import NotFound

    product = lock_own_product(actor=actor, cooperative_id=cooperative_id, product_id=product_id)
    family_images = product.family.images
    # Locked: a running product_image_process finishes first, and we see what it recorded.
    image = family_images.select_for_update().filter(pk=image_id).first()
    if image is None:
        raise NotFound()
    published = product.family.variants.filter(status=Product.Status.ACTIVE).exists()
    ready = family_images.filter(status=Status.READY)
    if published and image.status == Status.READY and ready.count() == 1:
        raise ProductIncomplete(
            fields={"images": _("A published product needs at least one image.")}
        )
    paths = images.image_paths(image.original.name or "", image.variants)
    upload_name, upload_bytes = image.upload.name, image.upload_bytes
    image.delete()
    rest = list(family_images.order_by("position", "id"))
    for position, img in enumerate(rest):
        img.position = position
    ProductImage.objects.bulk_update(rest, ["position"])
    changed(
        product,
        actor=actor,
        action=ProductEvent.Action.IMAGE_DELETED,
        changes={"image_id": image_id},
    )
    # A PENDING image's raw upload (a task still queued for it finds no row and stops).
    quota.storage_release(cooperative_id=cooperative_id, nbytes=upload_bytes)
    transaction.on_commit(lambda: images.delete_upload(upload_name))
    # Demo products share image files; only delete files no other row points to.
    if paths and not ProductImage.objects.filter(original=image.original.name).exists():
        quota.storage_release(cooperative_id=cooperative_id, nbytes=images.stored_bytes(paths))
        transaction.on_commit(lambda: images.delete_files(paths))
