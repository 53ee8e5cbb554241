"""Turn one spreadsheet row into product fields, or into per-column errors in Vietnamese
(the message language follows the active translation; the import runs in Vietnamese)."""

import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from catalog import options as option_rules
from catalog import rules
from catalog.importing.columns import HEADER_OF
from catalog.models import Category
from catalog.units import Unit
from market.reference.admin_units import fold, resolve_province

# What people type in the "Đơn vị" column (folded) -> Unit.
UNIT_ALIASES = {
    "kg": Unit.KG,
    "kilogram": Unit.KG,
    "kilo": Unit.KG,
    "ky": Unit.KG,
    "g": Unit.G,
    "gam": Unit.G,
    "gram": Unit.G,
    "yen": Unit.YEN,
    "ta": Unit.TA,
    "tan": Unit.TAN,
    "lit": Unit.LIT,
    "l": Unit.LIT,
    "litre": Unit.LIT,
    "liter": Unit.LIT,
    "ml": Unit.ML,
    "thung": Unit.THUNG,
    "carton": Unit.THUNG,
    "bao": Unit.BAO,
    "sack": Unit.BAO,
    "chai": Unit.CHAI,
    "bottle": Unit.CHAI,
    "hop": Unit.HOP,
    "box": Unit.HOP,
    "goi": Unit.GOI,
    "pack": Unit.GOI,
    "cai": Unit.CAI,
    "chiec": Unit.CAI,
    "piece": Unit.CAI,
    "bo": Unit.BO,
    "set": Unit.BO,
    "qua": Unit.QUA,
    "trai": Unit.QUA,
    "fruit": Unit.QUA,
    "chuc": Unit.CHUC,
}
_THOUSANDS = re.compile(r"^\d{1,3}([.,]\d{3})+$")
_DOT_THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+$")


class Lookups:
    """Per-import caches so 50,000 rows cost a handful of queries."""

    def __init__(self) -> None:
        self.categories: dict[str, int] = {}
        for c in Category.objects.all():
            for key in (c.slug, fold(c.name_vi), fold(c.name_en)):
                self.categories.setdefault(key, c.pk)
        self.provinces: dict[str, int | None] = {}

    def category(self, text: str) -> int | None:
        key = fold(text).strip()
        return self.categories.get(key) or self.categories.get(key.split(">")[-1].strip())

    def province(self, text: str) -> int | None:
        if text not in self.provinces:
            found = resolve_province(text)
            self.provinces[text] = found.pk if found else None
        return self.provinces[text]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_decimal(value: object) -> Decimal:
    """Vietnamese habits first: "2,5" is two and a half, "1.000" is one thousand; "1.234,5" and
    "1,234.5" both work (the last separator is the decimal one); spreadsheet numbers pass through."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(value))
    text = _text(value).replace(" ", "").replace("\u00a0", "")
    if "," in text and "." in text:
        dec = "," if text.rfind(",") > text.rfind(".") else "."
        text = text.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif _DOT_THOUSANDS.match(text):
        text = text.replace(".", "")
    else:
        text = text.replace(",", ".")
    result = Decimal(text)
    if not result.is_finite():
        raise InvalidOperation
    return result


def parse_price(value: object) -> int:
    text = _text(value).lower()
    for junk in ("vnđ", "vnd", "đồng", "đ", "₫", " "):
        text = text.replace(junk, "")
    if _THOUSANDS.match(text):
        text = text.replace(".", "").replace(",", "")
    amount = parse_decimal(value if isinstance(value, (int, float)) else text)
    if amount != amount.to_integral_value():
        raise InvalidOperation
    return int(amount)


def _put(errors, field, message) -> None:
    errors.append({"column": HEADER_OF.get(field, field), "message": str(message)})


def _numbers(raw: dict, data: dict, errors: list) -> None:
    if _text(raw.get("price_vnd")):
        try:
            data["price_vnd"] = parse_price(raw["price_vnd"])
        except (InvalidOperation, ValueError):
            _put(
                errors,
                "price_vnd",
                _("“%(v)s” is not a whole number of đồng.") % {"v": _text(raw["price_vnd"])},
            )
    else:
        _put(errors, "price_vnd", _("The price is required."))
    for field in ("stock_qty", "min_order_qty", "order_step", "unit_weight_kg"):
        if _text(raw.get(field)):
            try:
                data[field] = parse_decimal(raw[field])
            except (InvalidOperation, ValueError):
                _put(errors, field, _("“%(v)s” is not a number.") % {"v": _text(raw[field])})
    if _text(raw.get("lead_time_days")):
        try:
            days = int(parse_decimal(raw["lead_time_days"]))
            if not 0 <= days <= 365:
                raise ValueError
            data["lead_time_days"] = days
        except (InvalidOperation, ValueError):
            _put(errors, "lead_time_days", _("Enter a number of days from 0 to 365."))


def _references(raw: dict, data: dict, errors: list, lookups: Lookups) -> None:
    unit_text = _text(raw.get("unit"))
    unit = UNIT_ALIASES.get(fold(unit_text)) or (
        unit_text.upper() if unit_text.upper() in Unit.values else None
    )
    if unit:
        data["unit"] = unit
    else:
        _put(errors, "unit", _("Unknown unit “%(unit)s”.") % {"unit": unit_text})
    cat_text = _text(raw.get("category"))
    data["category_id"] = lookups.category(cat_text) if cat_text else None
    if data["category_id"] is None:
        _put(errors, "category", _("Unknown category “%(c)s”.") % {"c": cat_text})
    prov_text = _text(raw.get("origin_province"))
    if prov_text:
        data["origin_province_id"] = lookups.province(prov_text)
        if data["origin_province_id"] is None:
            _put(errors, "origin_province", _("Unknown province “%(p)s”.") % {"p": prov_text})


OPTION_COLUMNS = {
    "opt_pack": "pack",
    "opt_grade": "grade",
    "opt_crop_year": "crop_year",
    "opt_style": "style",
}


def _family(raw: dict, data: dict, errors: list) -> None:
    """The family key (grouping rows into one product) and the variant's option values."""
    if "family_key" in raw:
        data["family_key"] = _text(raw.get("family_key"))
        if len(data["family_key"]) > 64:
            _put(errors, "family_key", _("At most 64 characters."))
    if not any(column in raw for column in OPTION_COLUMNS):
        return  # a file without option columns leaves the options as they are
    chosen = {
        kind: _text(raw.get(column))
        for column, kind in OPTION_COLUMNS.items()
        if _text(raw.get(column))
    }
    for kind, message in option_rules.options_errors(chosen).items():
        column = next(c for c, k in OPTION_COLUMNS.items() if k == kind)
        _put(errors, column, message)
    data["options"] = option_rules.normalise(chosen)
    data["options_key"] = option_rules.options_key(chosen)


def parse_row(raw: dict, lookups: Lookups, base: dict | None = None) -> tuple[dict, list[dict]]:
    """(fields for Product, errors [{column, message}]). `base` is the current state of the product
    with this SKU (re-import), so rules see the values the columns leave unchanged."""
    data: dict = {}
    errors: list[dict] = []
    for field in (
        "sku",
        "name_vi",
        "name_en",
        "description_vi",
        "description_en",
        "hs_code",
        "packaging",
        "port_of_loading",
    ):
        if field in raw:
            data[field] = _text(raw.get(field))
    data["incoterms"] = [
        t.strip().upper() for t in re.split(r"[,;/ ]+", _text(raw.get("incoterms"))) if t.strip()
    ]
    _numbers(raw, data, errors)
    _references(raw, data, errors, lookups)
    _family(raw, data, errors)
    already = {e["column"] for e in errors}
    state = {"min_order_qty": Decimal(1), "order_step": Decimal(1), **(base or {}), **data}
    for field, message in rules.product_errors(state).items():
        if HEADER_OF.get(field, field) not in already:
            _put(errors, field, message)
    if len(data.get("sku", "")) > 64:
        _put(errors, "sku", _("At most 64 characters."))
    if len(data.get("name_vi", "")) > 255:
        _put(errors, "name_vi", _("At most 255 characters."))
    return data, errors
