"""Variant option kinds: a small fixed set, each with vi/en labels and a rule for its values.

A variant's `options` is a dict {kind: value}; `options_key` is its canonical string (kinds in a
fixed order, values NFC-normalised and case-folded), unique per family, so two variants of one
family can never carry the same option values.
"""

import re
import unicodedata

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# kind -> (Vietnamese label, English label); the order is the display and key order.
KINDS = {
    "pack": ("Quy cách", "Pack size"),
    "grade": ("Phân loại", "Grade"),
    "crop_year": ("Năm vụ", "Crop year"),
    "style": ("Mẫu", "Style"),
}
KIND_LABELS = {
    "pack": gettext_lazy("Pack size"),
    "grade": gettext_lazy("Grade"),
    "crop_year": gettext_lazy("Crop year"),
    "style": gettext_lazy("Style"),
}
MAX_VALUE_LENGTH = 60
YEAR_RE = re.compile(r"^(20\d\d|2100)$")


def _clean(value) -> str:
    return unicodedata.normalize("NFC", str(value if value is not None else "")).strip()


def value_error(kind: str, value: object) -> str | None:
    """Why `value` is not allowed for `kind`, or None when it is."""
    if kind not in KINDS:
        return _("Unknown option “%(kind)s”; use one of: %(kinds)s.") % {
            "kind": kind,
            "kinds": ", ".join(KINDS),
        }
    text = _clean(value)
    if not text:
        return _("The option value is empty.")
    if len(text) > MAX_VALUE_LENGTH:
        return _("At most %(n)s characters.") % {"n": MAX_VALUE_LENGTH}
    if kind == "crop_year" and not YEAR_RE.match(text):
        return _("A crop year is a year from 2000 to 2100, e.g. 2025.")
    return None


def options_errors(options: object) -> dict[str, str]:
    """{kind: message} for every value its kind does not allow (empty when all are allowed)."""
    if options is None:
        return {}
    if not isinstance(options, dict):
        return {"options": _("Options must be an object of {kind: value}.")}
    return {k: msg for k, v in options.items() if (msg := value_error(str(k), v))}


def normalise(options: dict | None) -> dict[str, str]:
    """Allowed options in the fixed kind order, values trimmed and NFC (assumes no errors)."""
    options = options or {}
    return {k: _clean(options[k]) for k in KINDS if k in options and _clean(options[k])}


def options_key(options: dict | None) -> str:
    return "|".join(f"{k}={v.casefold()}" for k, v in normalise(options).items())


def label(options: dict | None, lang: str = "vi") -> str:
    """'túi 250 g · S18 · 2025' — the variant's name after the family name."""
    return " · ".join(normalise(options).values())
