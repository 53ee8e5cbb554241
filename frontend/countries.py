"""Destination countries for export checkout: ISO 3166-1 alpha-2 codes named in the page's language.

CLDR (through babel) also names regions ("150" Europe), groupings (EU, UN) and codes ISO 3166-1
only reserves (AC, IC, XK…); none of them is a country a shipment can be addressed to."""

import unicodedata
from functools import lru_cache

import babel
from django.utils.translation import get_language

NOT_ISO_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
)
DOMESTIC = "VN"  # Vietnamese addresses go through province and ward, not the export fieldset


def _sort_key(name: str) -> str:
    # "Đức" should sort with D, "Ấn Độ" with A: fold the marks (and đ) before comparing.
    return "".join(
        c for c in unicodedata.normalize("NFD", name.casefold()) if not unicodedata.combining(c)
    ).replace("đ", "d")


@lru_cache(maxsize=8)
def _choices_for(language: str) -> tuple[tuple[str, str], ...]:
    try:
        locale = babel.Locale.parse(language.replace("-", "_"))
    except (ValueError, babel.UnknownLocaleError):
        locale = babel.Locale.parse("en")
    names = {
        code: name
        for code, name in locale.territories.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_ISO_COUNTRIES and code != DOMESTIC
    }
    return tuple(sorted(names.items(), key=lambda item: _sort_key(item[1])))


def export_country_choices() -> list[tuple[str, str]]:
    """(code, name) for every export destination, sorted by its name in the current language."""
    return list(_choices_for(get_language() or "vi"))
