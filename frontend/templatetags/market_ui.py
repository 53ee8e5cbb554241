"""Presentation helpers: money, language-picked fields, responsive product pictures."""

from babel.numbers import format_currency
from django import template
from django.core.files.storage import default_storage
from django.utils.html import format_html
from django.utils.translation import get_language

register = template.Library()

_BABEL_LOCALE = {"vi": "vi_VN", "en": "en"}


@register.filter
def vnd(value):
    """1234567 -> "1.234.567 ₫" in Vietnamese, "₫1,234,567" in English. VND has no minor unit."""
    if value is None or value == "":
        return ""
    try:
        amount = int(value)
    except (TypeError, ValueError):
        return ""
    locale = _BABEL_LOCALE.get((get_language() or "vi")[:2], "vi_VN")
    return format_currency(amount, "VND", locale=locale, format_type="standard")


@register.filter
def money(value, currency):
    """`{{ payment.amount|money:payment.currency }}`: VND as `vnd`, USD with cents ("12,34 US$" / "$12.34")."""
    if currency != "USD":
        return vnd(value)
    if value is None or value == "":
        return ""
    locale = _BABEL_LOCALE.get((get_language() or "vi")[:2], "vi_VN")
    return format_currency(value, "USD", locale=locale, format_type="standard")


@register.filter
def tr(obj, field):
    """`{{ product|tr:"name" }}`: name_en in English when given, else name_vi."""
    lang = (get_language() or "vi")[:2]
    if lang == "en":
        value = getattr(obj, f"{field}_en", "")
        if value:
            return value
    return getattr(obj, f"{field}_vi", "")


@register.filter
def qty(value):
    """Decimal quantities without trailing zeros: 10.000 -> 10, 2.500 -> 2.5 (2,5 in Vietnamese)."""
    if value is None:
        return ""
    text = format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if (get_language() or "vi")[:2] == "vi":
        text = text.replace(".", ",")
    return text


def _url(path):
    return default_storage.url(path) if path else ""


@register.simple_tag
def picture(image, size="card", alt="", eager=False):
    """A <picture> with the catalog's WebP + JPEG variant of `size` (thumb/card/full), lazy-loaded."""
    if image is None:
        return ""
    variant = (image.variants or {}).get(size) or {}
    jpeg = _url(variant.get("jpeg")) or image.original.url
    webp = _url(variant.get("webp"))
    width = variant.get("width") or image.width
    height = variant.get("height") or image.height
    lang = (get_language() or "vi")[:2]
    alt = alt or (image.alt_en if lang == "en" and image.alt_en else image.alt_vi)
    source = format_html('<source srcset="{}" type="image/webp">', webp) if webp else ""
    return format_html(
        '<picture>{}<img src="{}" alt="{}" width="{}" height="{}" loading="{}" decoding="async"></picture>',
        source,
        jpeg,
        alt,
        width,
        height,
        "eager" if eager else "lazy",
    )


@register.filter
def plain(value):
    """A decimal for HTML attributes (min, value, step): dot separator, no exponent, no trailing zeros."""
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
