"""The image pipeline: recognise by decoding, refuse bombs, rotate by EXIF, strip metadata by
re-encoding from pixels, write sized WebP + JPEG variants under MEDIA_ROOT.

Two halves, so that the upload request stays cheap (catalog.services.images):
- `check_upload` (in the request): size, format and pixel count read from the header, and the
  stream's own checksums where the format has them (`verify()`); no pixel is decoded. The raw
  bytes are then kept in the private storage (`save_upload`), never under MEDIA_URL.
- `make_variants` (in the `catalog.product_image_process` task): the full decode, metadata strip
  and the variants, written under names derived from the upload's name, so a second run (a
  redelivered message, a worker killed half-way) overwrites the same files: one set, always.

Security choices: the file name and the declared content type are ignored (an HTML page renamed
.jpg fails to decode); the pixel count is checked from the header before any pixel is decoded,
and Pillow's own bomb warning is turned into an error; the stored files are built from raw pixels
only, so EXIF (GPS), XMP, ICC and comments never reach the public media directory.
"""

import io
import uuid
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from PIL import Image, UnidentifiedImageError

from catalog.errors import ImageInvalid, ImageTooLarge
from market.shared.imaging import rebuild_from_pixels

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
SIZES = {"thumb": 160, "card": 480, "full": 1280}
# 4096 × 4096: a 12-megapixel phone photo (4032 × 3024) fits, and the largest output is 1280 px.
# The audit's 6320 × 6320 PNG (40 MP, 128 KiB) cost 4.8 s of CPU and +270 MiB under the old 40 MP
# cap; it is now refused from its header, before a pixel is decoded.
MAX_PIXELS = getattr(settings, "CATALOG_IMAGE_MAX_PIXELS", 4096 * 4096)
MAX_BYTES = getattr(settings, "CATALOG_IMAGE_MAX_BYTES", 15 * 1024 * 1024)
# Pillow's process-wide guard: a warning above this, DecompressionBombError above twice this.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


UPLOAD_DIR = "image-uploads"

# Why processing failed (ProductImage.failure_code): shown to the cooperative in its language.
FAILURES = {
    "image_corrupt": gettext_noop(
        "The photo could not be read: the file is damaged or incomplete. Delete it and upload "
        "it again."
    ),
    "image_too_large": gettext_noop(
        "The photo has too many pixels to process. Upload a smaller photo."
    ),
    "storage_quota_exceeded": gettext_noop(
        "The cooperative's storage is full: the processed photo did not fit. Delete old photos, "
        "then upload it again."
    ),
    "upload_missing": gettext_noop(
        "The uploaded file was lost before processing. Upload it again."
    ),
}


def failure_message(code: str) -> str:
    return _(FAILURES.get(code) or FAILURES["image_corrupt"])


@dataclass
class ProcessedImage:
    original: str  # storage path of the cleaned full-size image
    width: int
    height: int
    variants: dict = field(default_factory=dict)


def _probe(data: bytes) -> Image.Image:
    """Read the header only: format, pixel count, and the stream's checksums (verify()). Raises
    ImageInvalid or ImageTooLarge; decodes no pixel."""
    if len(data) > MAX_BYTES:
        raise ImageInvalid(fields={"image": ["file too large"]}, code="image_file_too_large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in ALLOWED_FORMATS:
                raise ImageInvalid(fields={"format": probe.format})
            if probe.width * probe.height > MAX_PIXELS:
                raise ImageTooLarge(fields={"width": probe.width, "height": probe.height})
            probe.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageTooLarge() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ImageInvalid() from None
    return probe


def check_upload(data: bytes) -> tuple[int, int]:
    """The cheap checks of the upload request. Returns (width, height) as the header says
    (before EXIF rotation). Raises ImageInvalid or ImageTooLarge."""
    probe = _probe(data)
    return probe.width, probe.height


def _open_checked(data: bytes) -> Image.Image:
    """Check the header, then decode the pixels. Raises ImageInvalid or ImageTooLarge."""
    _probe(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))  # verify() leaves the probe unusable
            if image.format == "JPEG":
                # Draft mode: libjpeg decodes at 1/2, 1/4 or 1/8 scale, the smallest that still
                # covers the largest output (DCT scaling costs a fraction of a full decode).
                image.draft(None, (SIZES["full"], SIZES["full"]))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageTooLarge() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ImageInvalid() from None
    return image


def _clean_pixels(image: Image.Image) -> Image.Image:
    return rebuild_from_pixels(image)  # the same routine rebuilds cooperative logos


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        if image.mode == "RGBA":  # JPEG has no alpha: flatten on white
            flat = Image.new("RGB", image.size, (255, 255, 255))
            flat.paste(image, mask=image.getchannel("A"))
            image = flat
        image.save(out, "JPEG", quality=82, optimize=True, progressive=True)
    else:
        image.save(
            out, "WEBP", quality=80, method=2
        )  # method 2: half the CPU of 4 for ~4% more bytes
    return out.getvalue()


def _resized(image: Image.Image, longest: int) -> Image.Image:
    if max(image.size) <= longest:
        return image
    copy = image.copy()
    copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    return copy


def process_image(data: bytes, *, folder: str) -> ProcessedImage:
    """Validate, decode and store one image under a fresh name in `folder` (the demo seeder).
    Raises ImageInvalid or ImageTooLarge; writes nothing then."""
    return make_variants(data, stem=f"{folder.rstrip('/')}/{uuid.uuid4().hex}")


def make_variants(data: bytes, *, stem: str) -> ProcessedImage:
    """Decode, clean and write the original and the variants at `stem`-derived names, replacing
    files a previous run left there. Raises ImageInvalid or ImageTooLarge (nothing written)."""
    return write_variants(decode_clean(data), stem=stem)


def decode_clean(data: bytes) -> Image.Image:
    """The upright pixels of `data`, without any metadata. Raises ImageInvalid, ImageTooLarge,
    or whatever else Pillow raises on a malformed file (the caller decides what that means)."""
    return _clean_pixels(_open_checked(data))


def write_variants(clean: Image.Image, *, stem: str) -> ProcessedImage:
    """Write the original and the variants of decoded pixels at `stem`-derived names."""
    written = []
    try:
        original = _put(f"{stem}.webp", _encode(clean, "WEBP"))
        written.append(original)
        variants = {}
        for name, longest in SIZES.items():
            sized = _resized(clean, longest)
            entry: dict[str, int | str] = {"width": sized.width, "height": sized.height}
            for fmt, ext in (("WEBP", "webp"), ("JPEG", "jpeg")):
                path = _put(f"{stem}-{name}.{ext}", _encode(sized, fmt))
                entry[ext] = path
                written.append(path)
            variants[name] = entry
    except Exception:
        delete_files(written)
        raise
    return ProcessedImage(
        original=original, width=clean.width, height=clean.height, variants=variants
    )


def _put(name: str, content: bytes) -> str:
    """Write `name`, replacing what is there (storages otherwise pick a new name: a re-run
    would leave a second set of files)."""
    default_storage.delete(name)
    return default_storage.save(name, ContentFile(content))


def private_storage():
    return storages["private"]


def save_upload(data: bytes, *, folder: str) -> str:
    """Keep the raw upload privately until the task processes it. Returns its storage name."""
    return private_storage().save(
        f"{UPLOAD_DIR}/{folder.strip('/')}/{uuid.uuid4().hex}.upload", ContentFile(data)
    )


def read_upload(name: str) -> bytes | None:
    """The raw upload, or None when it is gone."""
    try:
        with private_storage().open(name) as fh:
            return fh.read()
    except (FileNotFoundError, OSError):
        return None


def delete_upload(name: str | None) -> None:
    if name:
        try:
            private_storage().delete(name)
        except OSError:  # already gone
            pass


def variant_stem(upload_name: str) -> str:
    """Where the public files of an upload go: `image-uploads/<folder>/<hex>.upload` ->
    `<folder>/<hex>` (the same for every run of the task on that upload)."""
    return upload_name.removeprefix(f"{UPLOAD_DIR}/").rsplit(".", 1)[0]


def image_paths(original: str, variants: dict) -> list[str]:
    paths = [original] if original else []
    for entry in (variants or {}).values():
        paths += [entry[k] for k in ("webp", "jpeg") if entry.get(k)]
    return paths


def stored_bytes(paths: Iterable[str]) -> int:
    """What these files take in storage (counted against the cooperative's quota)."""
    total = 0
    for path in paths:
        try:
            total += default_storage.size(path)
        except OSError:  # already gone
            pass
    return total


def delete_files(paths: Iterable[str]) -> None:
    for path in paths:
        try:
            default_storage.delete(path)
        except OSError:  # already gone: nothing to clean
            pass
