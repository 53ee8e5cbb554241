"""What a private document may be: PDF, JPEG or PNG up to 10 MB, recognised by content.

Shared by cooperative documents (market) and certification scans (catalog), so both accept
exactly the same files."""

import io

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
