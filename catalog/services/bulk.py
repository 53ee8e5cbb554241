"""Acting on many products at once: publish, unpublish (archive) or set the stock of a selection,
and attach a ZIP of photos named by SKU. Each product goes through the same one-product service
as the single-product pages (its own savepoint), so one refusal never undoes the others and
every refusal comes back with its reasons in words."""

import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePosixPath

from django.db import transaction
from django.utils.translation import gettext as _

from catalog import images
from catalog.models import Product
from catalog.services import images as image_services
from catalog.services import products as product_services
from catalog.services.common import check_staff
from market.errors import DomainError, InvalidTransition, ValidationFailed
from market.models import User

BULK_ACTIONS = ("publish", "unpublish", "stock")
MAX_BULK = 500
# A ZIP of photos: at most this many pictures, each as large as one upload, 300 MB in all.
ZIP_MAX_FILES = 500
ZIP_MAX_TOTAL = 300 * 1024 * 1024
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)
    refused: dict[int, list[str]] = field(default_factory=dict)  # product id -> reasons in words


def _reasons(exc: DomainError) -> list[str]:
    """What stops this product, in words: the missing parts of an incomplete product, else the
    error's own sentence (a transition error's fields are status codes, not words)."""
    if isinstance(exc, InvalidTransition) or not exc.fields:
        return [str(exc.message)]
    return [
        str(m)
        for msgs in exc.fields.values()
        for m in (msgs if isinstance(msgs, (list, tuple)) else [msgs])
    ]


@transaction.atomic
def product_bulk_action(
    *,
    actor: User,
    cooperative_id: int,
    product_ids: list[int],
    action: str,
    quantity: Decimal | None = None,
) -> BulkResult:
    """Publish, unpublish or set the stock of each selected product of the actor's cooperative.
    Raises NotFound (not staff) or ValidationFailed (unknown action, no selection, bad quantity);
    per-product refusals (incomplete, wrong state, another cooperative's product) are returned."""
    check_staff(actor, cooperative_id)
    if action not in BULK_ACTIONS:
        raise ValidationFailed(fields={"action": [_("Choose an action.")]})
    ids = sorted(set(product_ids))[:MAX_BULK]  # pk order: the row locks are taken in one order
    if not ids:
        raise ValidationFailed(fields={"products": [_("Select at least one product.")]})
    if action == "stock" and (quantity is None or quantity < 0):
        raise ValidationFailed(fields={"quantity": [_("Enter the stock quantity (0 or more).")]})
    result = BulkResult()
    for pid in ids:
        try:
            with transaction.atomic():
                _one(actor, cooperative_id, pid, action, quantity)
        except DomainError as exc:
            result.refused[pid] = _reasons(exc)
        else:
            result.done.append(pid)
    return result


def _one(
    actor: User, cooperative_id: int, product_id: int, action: str, quantity: Decimal | None
) -> None:
    ids = {"cooperative_id": cooperative_id, "product_id": product_id}
    if action == "publish":
        product_services.product_publish(actor=actor, **ids)
    elif action == "unpublish":
        product_services.product_archive(actor=actor, **ids)
    else:
        assert quantity is not None  # product_bulk_action refuses "stock" without a quantity
        product_services.product_stock_adjust(
            actor=actor, **ids, mode="set", quantity=quantity, reason="bulk stock"
        )


@dataclass
class PhotoReport:
    attached: dict[str, int] = field(default_factory=dict)  # SKU -> photos added
    problems: list[str] = field(default_factory=list)  # in words, one per skipped file


def _sku_of(name: str) -> str:
    """ "CF-01.jpg" and "CF-01_2.jpg" (a second photo) both belong to SKU "CF-01"."""
    stem = PurePosixPath(name).stem
    base, sep, tail = stem.rpartition("_")
    return base if sep and tail.isdigit() else stem


def product_photos_from_zip(*, actor: User, cooperative_id: int, data: bytes) -> PhotoReport:
    """Attach the photos of a ZIP to the cooperative's products by file name (the SKU, then an
    optional _2, _3… for more photos, in name order). Every picture goes through the upload
    pipeline (decoded, re-encoded, size-checked); a file that is not a usable picture or names no
    known SKU is reported and skipped. Raises NotFound (not staff) or ValidationFailed (not a
    ZIP, too many or too large files)."""
    check_staff(actor, cooperative_id)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, ValueError):
        raise ValidationFailed(
            _("This is not a ZIP file."), fields={"photos": [_("Upload a .zip of photos.")]}
        ) from None
    if len(entries) > ZIP_MAX_FILES or sum(i.file_size for i in entries) > ZIP_MAX_TOTAL:
        raise ValidationFailed(
            _("Too many or too large files: at most %(n)s photos, 300 MB in all.")
            % {"n": ZIP_MAX_FILES},
            fields={"photos": [_("Split the photos into several ZIP files.")]},
        )
    skus = {
        sku.casefold(): pid
        for pid, sku in Product.objects.filter(cooperative_id=cooperative_id).values_list(
            "pk", "sku"
        )
    }
    report = PhotoReport()
    for info in sorted(entries, key=lambda i: i.filename):
        name = PurePosixPath(info.filename).name
        if name.startswith(".") or "__MACOSX" in info.filename:
            continue  # files the archiver added
        _photo(actor, cooperative_id, archive, info, name, skus, report)
    return report


def _photo(
    actor: User,
    cooperative_id: int,
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    name: str,
    skus: dict[str, int],
    report: PhotoReport,
) -> None:
    sku = _sku_of(name)
    if PurePosixPath(name).suffix.lower() not in PHOTO_SUFFIXES:
        report.problems.append(_("%(file)s: not a JPEG, PNG or WebP photo.") % {"file": name})
        return
    product_id = skus.get(sku.casefold())
    if product_id is None:
        report.problems.append(
            _("%(file)s: no product has the SKU %(sku)s.") % {"file": name, "sku": sku}
        )
        return
    if info.file_size > images.MAX_BYTES:
        report.problems.append(_("%(file)s: the photo is too large.") % {"file": name})
        return
    try:
        image_services.product_image_add(
            actor=actor,
            cooperative_id=cooperative_id,
            product_id=product_id,
            data=archive.read(info),
        )
    except DomainError as exc:
        report.problems.append(f"{name}: {exc.message}")
    else:
        report.attached[sku] = report.attached.get(sku, 0) + 1
