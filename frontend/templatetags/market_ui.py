"""Presentation helpers: money, language-picked fields, responsive product pictures."""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from babel.numbers import format_currency, format_decimal
from django import template
from django.core.files.storage import default_storage
from django.utils.html import format_html
from django.utils.translation import get_language, npgettext, npgettext_lazy

if TYPE_CHECKING:
    from catalog.models import ProductImage
    from orders.models import Order

register = template.Library()

_BABEL_LOCALE = {"vi": "vi_VN", "en": "en"}


@register.filter
def vnd(value: Any) -> str:
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
def money(value: Any, currency: str) -> str:
    """`{{ payment.amount|money:payment.currency }}`: VND as `vnd`, USD with cents ("12,34 US$" / "$12.34")."""
    if currency != "USD":
        return vnd(value)
    if value is None or value == "":
        return ""
    locale = _BABEL_LOCALE.get((get_language() or "vi")[:2], "vi_VN")
    return format_currency(value, "USD", locale=locale, format_type="standard")


@register.filter
def tr(obj: object, field: str) -> str:
    """`{{ product|tr:"name" }}`: name_en in English when given, else name_vi."""
    lang = (get_language() or "vi")[:2]
    if lang == "en":
        value = getattr(obj, f"{field}_en", "")
        if value:
            return value
    return getattr(obj, f"{field}_vi", "")


def _locale() -> str:
    return _BABEL_LOCALE.get((get_language() or "vi")[:2], "vi_VN")


@register.filter
def qty(value: Any) -> str:
    """A quantity in the page's number format, without trailing zeros: Decimal("10000.000") is
    "10.000" (ten thousand) in Vietnamese and "10,000" in English; 2.500 is "2,5" / "2.5"."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return ""
    return format_decimal(number.normalize(), format="#,##0.###", locale=_locale())


@register.filter
def number(value: Any) -> str:
    """A whole number in the page's format (10.000 / 10,000), e.g. counts and facet bounds."""
    return qty(value)


# Short unit names for quantities ("10 kg", "2,5 tấn", "1 bao"; "10 kg", "2.5 tonnes", "1 sack"),
# plural in English. Catalog's own labels ("sack (bao)") stay for its forms and admin.
UNIT_NAMES = {
    "KG": ("kg", "kg"),
    "G": ("g", "g"),
    "YEN": ("yến (10 kg)", "yến (10 kg)"),
    "TA": ("tạ (100 kg)", "tạ (100 kg)"),
    "TAN": ("tonne", "tonnes"),
    "LIT": ("litre", "litres"),
    "ML": ("ml", "ml"),
    "THUNG": ("carton", "cartons"),
    "BAO": ("sack", "sacks"),
    "CHAI": ("bottle", "bottles"),
    "HOP": ("box", "boxes"),
    "GOI": ("pack", "packs"),
    "CAI": ("piece", "pieces"),
    "BO": ("set", "sets"),
    "QUA": ("fruit", "fruits"),
    "CHUC": ("bundle of ten", "bundles of ten"),
}
# Marked for makemessages; the English words above are the msgids, translated per app .po.
_MARKED_FOR_TRANSLATION = (
    npgettext_lazy("unit", "tonne", "tonnes", 1),
    npgettext_lazy("unit", "litre", "litres", 1),
    npgettext_lazy("unit", "carton", "cartons", 1),
    npgettext_lazy("unit", "sack", "sacks", 1),
    npgettext_lazy("unit", "bottle", "bottles", 1),
    npgettext_lazy("unit", "box", "boxes", 1),
    npgettext_lazy("unit", "pack", "packs", 1),
    npgettext_lazy("unit", "piece", "pieces", 1),
    npgettext_lazy("unit", "set", "sets", 1),
    npgettext_lazy("unit", "fruit", "fruits", 1),
    npgettext_lazy("unit", "bundle of ten", "bundles of ten", 1),
    npgettext_lazy("unit", "yến (10 kg)", "yến (10 kg)", 1),
    npgettext_lazy("unit", "tạ (100 kg)", "tạ (100 kg)", 1),
)


@register.filter
def unit_label(code: str | None, quantity: Any = 1) -> str:
    """`{{ product.unit|unit_label }}` (price "per …") or `{{ code|unit_label:quantity }}`."""
    singular, plural = UNIT_NAMES.get(code or "", (code or "", code or ""))
    try:
        count = 1 if Decimal(str(quantity)) == 1 else 2
    except (InvalidOperation, ValueError):
        count = 1
    if singular in ("kg", "g", "ml"):
        return singular
    return npgettext("unit", singular, plural, count)


@register.filter
def qty_unit(value: Any, code: str | None) -> str:
    """`{{ line.quantity|qty_unit:line.unit }}` -> "10 kg", "2,5 tấn", "1 bao"."""
    if value is None or value == "":
        return ""
    return f"{qty(value)} {unit_label(code, value)}"


@register.filter
def awaits_transfer(order: "Order") -> bool:
    """A live bank-transfer order whose money has not arrived (the desk warns about it)."""
    from frontend.reads import awaits_bank_transfer

    return awaits_bank_transfer(order)


def _url(path: str | None) -> str:
    return default_storage.url(path) if path else ""


@register.simple_tag
def picture(
    image: "ProductImage | None", size: str = "card", alt: str = "", eager: bool = False
) -> str:
    """A <picture> with the catalog's WebP + JPEG variant of `size` (thumb/card/full), lazy-loaded.
    An image still being processed, or whose processing failed, has no files yet: a placeholder
    box of the same size stands in (never an <img> pointing at a file that does not exist)."""
    if image is None:
        return ""
    lang = (get_language() or "vi")[:2]
    alt = alt or (image.alt_en if lang == "en" and image.alt_en else image.alt_vi)
    if getattr(image, "status", "READY") != "READY":
        return _placeholder(image, alt)
    variant = (image.variants or {}).get(size) or {}
    jpeg = _url(variant.get("jpeg")) or image.original.url
    webp = _url(variant.get("webp"))
    width = variant.get("width") or image.width
    height = variant.get("height") or image.height
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


def _placeholder(image: "ProductImage", alt: str) -> str:
    from django.utils.translation import gettext as _

    failed = image.status == "FAILED"
    label = _("Photo could not be processed") if failed else _("Photo being processed…")
    return format_html(
        '<span class="photo-placeholder{}" role="img" aria-label="{}" data-status="{}">'
        "<span>{}</span></span>",
        " failed" if failed else "",
        f"{label}: {alt}" if alt else label,
        image.status,
        label,
    )


def _ready_first(images: Any) -> list:
    """The READY images in order; when none is, the first PENDING one (shown as a placeholder).
    FAILED images are never shown to buyers. Works on a prefetched list (no query)."""
    from django.db.models import Manager

    # A prefetched QuerySet is iterated as it is (`.all()` on it would query again).
    rows = list(images.all() if isinstance(images, Manager) else images or [])
    ready = [i for i in rows if getattr(i, "status", "READY") == "READY"]
    if ready:
        return ready
    pending = [i for i in rows if i.status == "PENDING"]
    return pending[:1]


@register.filter
def shown_images(images: Any) -> list:
    """`{% for img in product.family.images.all|shown_images %}`: what a buyer's gallery shows."""
    return _ready_first(images)


@register.filter
def cover(images: Any) -> "ProductImage | None":
    """`{% with img=p.images.all|cover %}`: the picture of a card (see `shown_images`)."""
    shown = _ready_first(images)
    return shown[0] if shown else None


@register.filter
def plain(value: Decimal | float | None) -> str:
    """A decimal for HTML attributes (min, value, step): dot separator, no exponent, no trailing zeros."""
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.simple_tag
def availability(product: Any, today: date | None = None) -> tuple[str, str]:
    """What the product page says about availability, from stock and the harvest window (never
    "In stock" with nothing in stock): (text, "ok" | "warn" | "err")."""
    from django.utils import timezone
    from django.utils.formats import date_format
    from django.utils.translation import gettext as _

    today = today or timezone.localdate()
    stock = product.stock_qty or 0
    kind = getattr(product, "availability", "IN_STOCK")
    start, end = getattr(product, "harvest_start", None), getattr(product, "harvest_end", None)
    if kind == "PRE_ORDER" and start and (end or start) >= today:
        when = date_format(start, "SHORT_DATE_FORMAT")
        return (_("Pre-order: harvest from %(date)s") % {"date": when}, "warn")
    if stock > 0:
        return (_("In stock: %(qty)s") % {"qty": qty_unit(stock, product.unit)}, "ok")
    months = getattr(product, "season_months", None) or []
    if kind == "SEASONAL" and months and today.month not in months:
        listed = ", ".join(str(m) for m in sorted(months))
        return (_("Out of season (harvest months: %(months)s)") % {"months": listed}, "err")
    return (_("Out of stock"), "err")
