"""Presentation helpers and the Vietnamese catalogue of the web pages."""

from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.utils import translation

from frontend.templatetags.market_ui import plain, qty, vnd

PO = Path(__file__).resolve().parents[2] / "frontend/locale/vi/LC_MESSAGES/django.po"


@pytest.fixture(autouse=True)
def _restore_language():
    """Requests made in English leave English active in this thread: give later tests the default."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.mark.parametrize(
    "lang, value, expected",
    [
        ("vi", 1234567, "1.234.567\xa0₫"),
        ("en", 1234567, "₫1,234,567"),
        ("vi", 0, "0\xa0₫"),
        ("vi", None, ""),
        ("vi", "abc", ""),
    ],
)
def test_vnd(lang, value, expected):
    with translation.override(lang):
        result = vnd(value)

    assert result == expected


@pytest.mark.parametrize(
    "lang, value, expected",
    [
        ("vi", Decimal("2.500"), "2,5"),
        ("en", Decimal("2.500"), "2.5"),
        ("vi", Decimal("10.000"), "10"),
    ],
)
def test_qty(lang, value, expected):
    with translation.override(lang):
        result = qty(value)

    assert result == expected


def test_plain_for_html_attributes():
    assert [plain(Decimal("10.000")), plain(Decimal("0.500")), plain(Decimal("1E+1"))] == [
        "10",
        "0.5",
        "10",
    ]


def test_every_interface_string_has_a_vietnamese_translation():
    catalog = read_po(PO.open("rb"), locale="vi")

    untranslated = [
        m.id
        for m in catalog
        if m.id and not (m.string[0] if isinstance(m.string, tuple) else m.string)
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]

    assert untranslated == []
    assert fuzzy == []
    assert PO.with_suffix(".mo").exists()


@pytest.mark.django_db
def test_pages_are_vietnamese_by_default_and_english_on_request(client):
    vi = client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    en = client.get("/").content.decode()

    assert "Chuyển đến nội dung chính" in vi
    assert "Skip to main content" in en
