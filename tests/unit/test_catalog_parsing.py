"""Pure functions: number parsing, encoding detection, header matching, rules."""

import unicodedata
from decimal import Decimal, InvalidOperation

import pytest

from catalog import rules
from catalog.importing.columns import field_for_header
from catalog.importing.reader import decode
from catalog.importing.rows import parse_decimal, parse_price


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2,5", Decimal("2.5")),
        ("2.5", Decimal("2.5")),
        ("1.000", Decimal("1000")),
        ("12.500.000", Decimal("12500000")),
        ("1.234,5", Decimal("1234.5")),
        ("1,234.5", Decimal("1234.5")),
        ("1.05", Decimal("1.05")),
        (" 7 ", Decimal("7")),
        (3, Decimal("3")),
        (2.5, Decimal("2.5")),
    ],
)
def test_parse_decimal_follows_vietnamese_habits(text, expected):
    assert parse_decimal(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("185.000", 185_000),
        ("185,000", 185_000),
        ("185000", 185_000),
        ("185.000 đ", 185_000),
        ("1.200.000₫", 1_200_000),
        ("95000 VND", 95_000),
        (120000, 120_000),
        (120000.0, 120_000),
        ("-5000", -5000),
    ],
)
def test_parse_price(text, expected):
    assert parse_price(text) == expected


@pytest.mark.parametrize("text", ["abc", "12,5", "1.5", "", "NaN"])
def test_parse_price_rejects_non_integers(text):
    with pytest.raises((InvalidOperation, ValueError)):
        parse_price(text)


def test_decode_utf8_with_and_without_bom():
    text = "Mã SKU,Tên sản phẩm\nA,Cà phê\n"

    assert decode(text.encode("utf-8")) == (text, "utf-8")
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8")) == (text, "utf-8-sig")


def test_decode_windows_1258_combining_marks_to_nfc():
    # "Mật ong" in Windows-1258: "â" then combining dot below (0xF2).
    raw = b"M\xe2\xf2t ong"

    text, encoding = decode(raw)

    assert (text, encoding) == ("Mật ong", "cp1258")
    assert unicodedata.is_normalized("NFC", text)


def test_decode_western_cp1252():
    assert decode("Café crème".encode("cp1252")) == ("Café crème", "cp1252")


@pytest.mark.parametrize(
    "header, field",
    [
        ("Mã SKU", "sku"),
        ("ma sku", "sku"),
        ("MÃ SKU", "sku"),
        ("Giá (VND)", "price_vnd"),
        ("gia", "price_vnd"),
        ("Đơn vị", "unit"),
        ("SL tối thiểu", "min_order_qty"),
        ("Mã HS", "hs_code"),
        ("sku", "sku"),
        ("Ghi chú", None),
    ],
)
def test_headers_are_matched_after_folding(header, field):
    assert field_for_header(header) == field


@pytest.mark.parametrize(
    "code, ok",
    [
        ("0901", True),
        ("0901.11", True),
        ("090111", True),
        ("0901.11.10", True),
        ("0901111000", True),
        ("090", False),
        ("09A1", False),
        ("0901.1", False),
        ("12-34", False),
        ("09011110001", False),
    ],
)
def test_hs_code_format(code, ok):
    assert (
        "hs_code"
        in rules.product_errors({"sku": "A", "name_vi": "A", "unit": "KG", "hs_code": code})
    ) is not ok


def test_tiers_must_fall_strictly_and_stay_below_the_base():
    def errs(tiers):
        return rules.tier_errors(tiers=tiers, price_vnd=100, unit="KG", min_order_qty=Decimal("1"))

    assert errs([{"min_qty": "10", "price_vnd": 90}, {"min_qty": "50", "price_vnd": 80}]) == []
    assert len(errs([{"min_qty": "10", "price_vnd": 90}, {"min_qty": "50", "price_vnd": 90}])) == 1
    assert len(errs([{"min_qty": "10", "price_vnd": 100}])) == 1
    assert len(errs([{"min_qty": "0.5", "price_vnd": 90}])) == 1
    assert (
        rules.tier_errors(
            tiers=[{"min_qty": "2.5", "price_vnd": 90}],
            price_vnd=100,
            unit="THUNG",
            min_order_qty=Decimal("1"),
        )
        != []
    )


def test_moq_multiple_of_step_and_whole_units():
    base = {"sku": "A", "name_vi": "A"}

    assert (
        rules.product_errors(
            {**base, "unit": "KG", "min_order_qty": Decimal("2.5"), "order_step": Decimal("0.5")}
        )
        == {}
    )
    assert "min_order_qty" in rules.product_errors(
        {**base, "unit": "KG", "min_order_qty": Decimal("3"), "order_step": Decimal("2")}
    )
    assert "order_step" in rules.product_errors(
        {**base, "unit": "CAI", "min_order_qty": Decimal("1"), "order_step": Decimal("0.5")}
    )
