"""Images rebuilt from pixels: the one routine that strips everything but the picture.

Used by product images (catalog.images) and cooperative logos (market.services). Re-encoding
from raw pixels drops EXIF (GPS, camera serial), XMP, ICC profiles, comments and anything
appended after the image data (the audit found a logo stored byte for byte with GPS data and a
trailing `<script>` in public media).
"""

import io
import warnings

from PIL import Image, ImageOps


def rebuild_from_pixels(image: Image.Image) -> Image.Image:
    """Upright, RGB(A) pixels in a brand-new image object that carries no metadata."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    image = image.convert("RGBA" if has_alpha else "RGB")
    return Image.frombytes(image.mode, image.size, image.tobytes())


def encode_png_or_jpeg(image: Image.Image) -> tuple[bytes, str]:
    """PNG when the picture has transparency, else JPEG: (bytes, extension)."""
    out = io.BytesIO()
    if image.mode == "RGBA":
        image.save(out, "PNG", optimize=True)
        return out.getvalue(), ".png"
    image.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue(), ".jpg"
