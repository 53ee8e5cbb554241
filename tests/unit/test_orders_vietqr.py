"""VietQR payloads against the published vectors (vietnam-qr-pay tests; CRCs from the notes)."""

import binascii

import pytest

from orders import vietqr

# Full vector (ACB 970416), from vietnam-qr-pay's tests; CRC BBB8.
ACB = (
    "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA5303704540410005802VN"
    "62150811Chuyen tien6304BBB8"
)


def test_payload_reproduces_the_published_acb_vector():
    data = vietqr.payload(bin_code="970416", account="257678859", amount=1000, memo="Chuyen tien")

    assert data == ACB


def test_crc_is_crc16_ccitt_false_over_the_body_including_6304():
    body = ACB[:-4]

    assert vietqr.crc16(body) == "BBB8"
    assert binascii.crc_hqx(body.encode(), 0xFFFF) == 0xBBB8
    assert vietqr.crc_valid(ACB) is True
    assert vietqr.crc_valid(ACB[:-1] + "9") is False


def test_crc16_standard_check_value():
    # CRC-16/CCITT-FALSE check value for "123456789" is 0x29B1 (catalogue of CRC algorithms).
    assert vietqr.crc16("123456789") == "29B1"


def test_tlv_walk_of_an_order_payload():
    data = vietqr.payload(
        bin_code="970405", account="8888123456789", amount=270_000, memo="HTX-2026-000123"
    )

    top = vietqr.parse(data)
    merchant = vietqr.parse(top["38"])
    assert top["00"] == "01" and top["01"] == "12"
    assert merchant["00"] == "A000000727"
    assert vietqr.parse(merchant["01"]) == {"00": "970405", "01": "8888123456789"}
    assert merchant["02"] == "QRIBFTTA"
    assert top["53"] == "704" and top["54"] == "270000" and top["58"] == "VN"
    assert vietqr.parse(top["62"]) == {"08": "HTX-2026-000123"}
    assert vietqr.crc_valid(data)


def test_static_payload_without_amount_is_point_of_initiation_11():
    data = vietqr.payload(bin_code="970405", account="123")

    top = vietqr.parse(data)
    assert top["01"] == "11" and "54" not in top and "62" not in top


def test_memo_is_folded_to_ascii_and_capped_at_25_chars():
    assert (
        vietqr.ascii_memo("Thanh toán đơn hàng HTX-2026-000123 nhé") == "Thanh toan don hang HTX-2"
    )
    assert len(vietqr.ascii_memo("x" * 40)) == 25


@pytest.mark.parametrize(
    "kw",
    [
        {"bin_code": "97041", "account": "1"},
        {"bin_code": "970416", "account": ""},
        {"bin_code": "970416", "account": "12345678901234567890"},
        {"bin_code": "970416", "account": "1", "amount": -5},
    ],
)
def test_bad_bank_details_are_refused(kw):
    with pytest.raises(ValueError):
        vietqr.payload(**kw)


def test_images_are_svg_and_png():
    svg = vietqr.image(ACB, kind="svg")
    png = vietqr.image(ACB, kind="png")

    assert svg.startswith(b"<?xml") and b"<svg" in svg
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
