"""The image pipeline: recognise by decoding, refuse bombs, rotate by EXIF, strip metadata by
re-encoding from pixels, write sized WebP + JPEG variants under MEDIA_ROOT.

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
from django.core.files.storage import default_storage
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


@dataclass
class ProcessedImage:
    original: str  # storage path of the cleaned full-size image
    width: int
    height: int
    variants: dict = field(default_factory=dict)


def _open_checked(data: bytes) -> Image.Image:
    """Decode the header, check format and pixel count, verify the stream, return a fresh image."""
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
            image = Image.open(io.BytesIO(data))  # verify() leaves the image unusable
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
    """Validate and store one upload. Raises ImageInvalid or ImageTooLarge; writes nothing then."""
    clean = _clean_pixels(_open_checked(data))
    stem = f"{folder.rstrip('/')}/{uuid.uuid4().hex}"
    written = []
    try:
        original = default_storage.save(f"{stem}.webp", ContentFile(_encode(clean, "WEBP")))
        written.append(original)
        variants = {}
        for name, longest in SIZES.items():
            sized = _resized(clean, longest)
            entry: dict[str, int | str] = {"width": sized.width, "height": sized.height}
            for fmt, ext in (("WEBP", "webp"), ("JPEG", "jpeg")):
                path = default_storage.save(
                    f"{stem}-{name}.{ext}", ContentFile(_encode(sized, fmt))
                )
                entry[ext] = path
                written.append(path)
            variants[name] = entry
    except Exception:
        delete_files(written)
        raise
    return ProcessedImage(
        original=original, width=clean.width, height=clean.height, variants=variants
    )


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
