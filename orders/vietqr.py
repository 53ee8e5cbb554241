"""VietQR (NAPAS EMVCo) payloads for bank transfers, and their QR images.

Format: TLV, `ID(2) LEN(2, decimal) VALUE`; tag 63 is a CRC-16/CCITT-FALSE (poly 0x1021,
init 0xFFFF) over the whole string including "6304", which is what `binascii.crc_hqx` computes.
Checked against the published vectors of the `vietnam-qr-pay` tests (see tests/unit)."""

import binascii
import io
import re
import unicodedata

NAPAS_GUID = "A000000727"
SERVICE_TO_ACCOUNT = "QRIBFTTA"
MEMO_MAX = 25


def tlv(tag: str, value: str) -> str:
    if not 0 < len(value) <= 99:
        raise ValueError(f"tag {tag}: value length {len(value)} outside 1..99")
    return f"{tag}{len(value):02d}{value}"


def crc16(data: str) -> str:
    return f"{binascii.crc_hqx(data.encode('ascii'), 0xFFFF):04X}"


def ascii_memo(text: str) -> str:
    """Bank memos are ASCII without diacritics: fold Vietnamese and drop the rest."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^A-Za-z0-9 \-]", "", text)[:MEMO_MAX].strip()


def payload(
    *,
    bin_code: str,
    account: str,
    amount: int | None = None,
    memo: str = "",
    service: str = SERVICE_TO_ACCOUNT,
) -> str:
    """The VietQR string: dynamic (12) when it carries an amount, static (11) otherwise."""
    if not re.fullmatch(r"\d{6}", bin_code or ""):
        raise ValueError("bank BIN must be 6 digits")
    if not re.fullmatch(r"[0-9A-Za-z]{1,19}", account or ""):
        raise ValueError("account must be 1 to 19 letters or digits")
    beneficiary = tlv("00", bin_code) + tlv("01", account)
    merchant = tlv("00", NAPAS_GUID) + tlv("01", beneficiary) + tlv("02", service)
    parts = [
        tlv("00", "01"),
        tlv("01", "12" if amount else "11"),
        tlv("38", merchant),
        tlv("53", "704"),
    ]
    if amount:
        if amount <= 0 or len(str(amount)) > 13:
            raise ValueError("amount must be a positive integer of at most 13 digits")
        parts.append(tlv("54", str(int(amount))))
    parts.append(tlv("58", "VN"))
    memo = ascii_memo(memo)
    if memo:
        parts.append(tlv("62", tlv("08", memo)))
    body = "".join(parts) + "6304"
    return body + crc16(body)


def parse(data: str) -> dict[str, str]:
    """Top-level TLV walk (for tests and diagnostics)."""
    out, i = {}, 0
    while i < len(data):
        tag, length = data[i : i + 2], int(data[i + 2 : i + 4])
        out[tag] = data[i + 4 : i + 4 + length]
        i += 4 + length
    return out


def crc_valid(data: str) -> bool:
    return len(data) > 8 and data[-8:-4] == "6304" and crc16(data[:-4]) == data[-4:].upper()


def image(data: str, *, kind: str = "svg", scale: int = 6) -> bytes:
    """The payload drawn as a QR code (segno), as SVG or PNG bytes."""
    import segno

    qr = segno.make(data, error="m", micro=False)
    buf = io.BytesIO()
    qr.save(buf, kind=kind, scale=scale, border=4)
    return buf.getvalue()
