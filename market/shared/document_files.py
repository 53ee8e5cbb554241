"""What a private document may be: PDF, JPEG or PNG up to 10 MB, recognised by content.

Shared by cooperative documents (market) and certification scans (catalog), so both accept
exactly the same files."""

import io
from typing import Any

from django.core.files import File

DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
# (leading bytes, content type, extension)
ACCEPTED_DOCUMENTS = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)


def signature_type(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the leading bytes alone; None when not accepted."""
    return next(
        ((ctype, ext) for magic, ctype, ext in ACCEPTED_DOCUMENTS if data.startswith(magic)), None
    )


def document_type(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the content, never from the name or the client's header;
    None when not accepted. Images must also decode: a JPEG/PNG signature in front of anything
    else is refused."""
    found = signature_type(data)
    if found is None or found[0] == "application/pdf":
        return found
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            im.verify()
    except Exception:
        return None
    return found


def content_type_for(extension: str) -> str:
    return next(
        (ctype for _m, ctype, ext in ACCEPTED_DOCUMENTS if ext == extension),
        "application/octet-stream",
    )


def private_document_store(file: "File[bytes] | None", *, prefix: str) -> dict[str, Any]:
    """The safe upload rules in one place for new callers: not empty, at most 10 MB, PDF/JPEG/PNG
    recognised by content (never by name or header), saved in private storage under a random
    name with the extension the content proves. Returns the stored name, the original file name,
    the content type and the size; the caller deletes the file if its row is not written.
    Raises ValidationFailed (empty_file, file_too_large, unsupported_file_type)."""
    import os

    from django.core.files.storage import storages
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from market.errors import ValidationFailed

    if file is None or not file.size:
        raise ValidationFailed(fields={"file": [_("The file is empty.")]}, code="empty_file")
    if file.size > DOCUMENT_MAX_BYTES:
        message = _("The file is larger than 10 MB.")
        raise ValidationFailed(message, fields={"file": [message]}, code="file_too_large")
    file.seek(0)
    found = document_type(file.read())
    file.seek(0)
    if found is None:
        message = _("Only PDF, JPEG or PNG files are accepted.")
        raise ValidationFailed(message, fields={"file": [message]}, code="unsupported_file_type")
    content_type, ext = found
    path = f"{prefix}/{timezone.now():%Y/%m}/{os.urandom(12).hex()}{ext}"
    return {
        "name": storages["private"].save(path, file),
        "original_name": os.path.basename(getattr(file, "name", "") or "document")[:255],
        "content_type": content_type,
        "size": file.size,
    }
