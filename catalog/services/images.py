"""Product images: add (through the Pillow pipeline), reorder (first = cover), delete.

Photos belong to the family: adding one through any of its variants shows it on all of them."""

from django.db import transaction
from django.db.models import Max

from catalog import images
from catalog.errors import ImageOrderInvalid, ProductArchived, ProductIncomplete
from catalog.models import Product, ProductEvent, ProductImage
from catalog.selectors import product_get_for_staff
from catalog.services.common import changed, lock_own_product, upload_check
from market.cooperatives import quota
from market.models import User


def product_image_add(
    *,
    actor: User,
    cooperative_id: int,
    product_id: int,
    data: bytes,
    alt_vi: str = "",
    alt_en: str = "",
) -> ProductImage:
    """Decode, clean and store an image, then append it to the product (the first one is the
    cover). Raises NotFound, ProductArchived, ImageInvalid, ImageTooLarge; stores nothing then."""
    # Authorise before touching the file: strangers must not make us decode or write anything.
    product_get_for_staff(user=actor, cooperative_id=cooperative_id, product_id=product_id)
    upload_check(cooperative_id)
    processed = images.process_image(data, folder=f"products/{cooperative_id}/{product_id}")
    try:
        return _attach(actor, cooperative_id, product_id, processed, alt_vi, alt_en)
    except BaseException:
        images.delete_files(images.image_paths(processed.original, processed.variants))
        raise


@transaction.atomic
def _attach(
    actor: User,
    cooperative_id: int,
    product_id: int,
    processed: images.ProcessedImage,
    alt_vi: str,
    alt_en: str,
) -> ProductImage:
    product = lock_own_product(actor=actor, cooperative_id=cooperative_id, product_id=product_id)
    if product.status == Product.Status.ARCHIVED:
        raise ProductArchived()
    quota.storage_reserve(
        cooperative_id=cooperative_id,
        nbytes=images.stored_bytes(images.image_paths(processed.original, processed.variants)),
    )
    return attach_processed(product, processed, actor=actor, alt_vi=alt_vi, alt_en=alt_en)


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
    """Remove one image (files go after commit). An ACTIVE product keeps at least one image.
    Raises NotFound, ProductIncomplete."""
    from django.utils.translation import gettext as _

    from market.errors import NotFound

    product = lock_own_product(actor=actor, cooperative_id=cooperative_id, product_id=product_id)
    family_images = product.family.images
    image = family_images.filter(pk=image_id).first()
    if image is None:
        raise NotFound()
    published = product.family.variants.filter(status=Product.Status.ACTIVE).exists()
    if published and family_images.count() == 1:
        raise ProductIncomplete(
            fields={"images": _("A published product needs at least one image.")}
        )
    paths = images.image_paths(image.original.name or "", image.variants)
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
    # Demo products share image files; only delete files no other row points to.
    if not ProductImage.objects.filter(original=image.original.name).exists():
        quota.storage_release(cooperative_id=cooperative_id, nbytes=images.stored_bytes(paths))
        transaction.on_commit(lambda: images.delete_files(paths))
