"""Catalog rules as pure functions over plain values, shared by services, the API and the
spreadsheet import (which reports them per row and column instead of raising)."""

import re
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from catalog.models import Incoterm, ProductImage
from catalog.units import Unit, is_divisible
from market.reference.validators import InvalidField, single_line

if TYPE_CHECKING:
    from catalog.models import Product

UNITS = frozenset(Unit.values)
INCOTERMS = frozenset(Incoterm.values)
HS_CODE_RE = re.compile(r"^\d{4}(\.?\d{2}){0,3}$")
MAX_PRICE_VND = 10**12
MAX_QTY = Decimal(10**11)  # quantity columns are numeric(14, 3): below 10^11, 3 decimals at most


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(value)


def _quantity_errors(data: dict, errors: dict) -> None:
    unit = data.get("unit")
    divisible = is_divisible(unit or "")
    for field in ("min_order_qty", "order_step", "stock_qty"):
        value = _dec(data.get(field))
        if value is None:
            continue
        if abs(value) >= MAX_QTY or value != value.quantize(Decimal("0.001")):
            errors[field] = _("Use a number below 100,000,000,000 with at most 3 decimals.")
        elif field == "stock_qty" and value < 0:
            errors[field] = _("Stock cannot be negative.")
        elif field != "stock_qty" and value <= 0:
            errors[field] = _("Must be greater than zero.")
        elif not divisible and value != value.to_integral_value():
            errors[field] = _("Unit “%(unit)s” is sold in whole numbers only.") % {"unit": unit}
    moq, step = _dec(data.get("min_order_qty")), _dec(data.get("order_step"))
    if moq and step and moq > 0 and step > 0 and "min_order_qty" not in errors and moq % step != 0:
        errors["min_order_qty"] = _(
            "The minimum order quantity must be a multiple of the order step (%(step)s)."
        ) % {"step": f"{step.normalize():f}"}


def product_errors(data: dict) -> dict[str, str]:
    """Every broken rule in a product's state, as {field: message}. Empty when valid."""
    errors: dict[str, str] = {}
    if not (data.get("sku") or "").strip():
        errors["sku"] = _("SKU is required.")
    if not (data.get("name_vi") or "").strip():
        errors["name_vi"] = _("The Vietnamese name is required.")
    for name in ("sku", "name_vi", "name_en"):  # one visible line each (market.validators)
        if name not in errors and data.get(name):
            try:
                single_line(data[name], field=name, required=False)
            except InvalidField as exc:
                errors[name] = str(exc.message)
    if data.get("unit") not in UNITS:
        errors["unit"] = _("Unknown unit “%(unit)s”.") % {"unit": data.get("unit")}
    price = data.get("price_vnd")
    if price is not None and not (0 < int(price) < MAX_PRICE_VND):
        errors["price_vnd"] = _("The price must be a positive whole number of đồng.")
    hs = data.get("hs_code") or ""
    if hs and not HS_CODE_RE.match(hs):
        errors["hs_code"] = _("HS code must be 4 to 10 digits, e.g. 0901.11")
    bad = [t for t in data.get("incoterms") or [] if t not in INCOTERMS]
    if bad:
        errors["incoterms"] = _("Unknown Incoterms: %(terms)s.") % {
            "terms": ", ".join(map(str, bad))
        }
    months = data.get("season_months") or []
    if any(not isinstance(m, int) or not 1 <= m <= 12 for m in months):
        errors["season_months"] = _("Months must be numbers from 1 to 12.")
    start, end = data.get("harvest_start"), data.get("harvest_end")
    if start and end and end < start:
        errors["harvest_end"] = _("The harvest window ends before it starts.")
    if data.get("availability") == "PRE_ORDER" and not (start and end):
        errors["harvest_start"] = _("A pre-order needs a harvest window (start and end).")
    if data.get("availability") == "SEASONAL" and not months:
        errors["season_months"] = _("A seasonal product needs its months.")
    weight = _dec(data.get("unit_weight_kg"))
    if weight is not None and weight <= 0:
        errors["unit_weight_kg"] = _("Must be greater than zero.")
    if data.get("unit") in UNITS:
        _quantity_errors(data, errors)
    return errors


def tier_errors(
    *, tiers: list[dict], price_vnd: int | None, unit: str, min_order_qty: Decimal
) -> list[str]:
    """Tiers (sorted or not) must start above the MOQ, rise in quantity and strictly fall in price,
    every tier price below the base price."""
    errors = []
    if tiers and not price_vnd:
        return [_("Set the base price before adding volume tiers.")]
    previous = None
    for i, tier in enumerate(sorted(tiers, key=lambda t: Decimal(t["min_qty"])), start=1):
        qty, price = Decimal(tier["min_qty"]), int(tier["price_vnd"])
        label = _("Tier %(n)s") % {"n": i}
        if price <= 0:
            errors.append(_("%(tier)s: the price must be greater than zero.") % {"tier": label})
        elif price_vnd is not None and price >= price_vnd:  # set whenever there are tiers
            errors.append(_("%(tier)s: the price must be below the base price.") % {"tier": label})
        if qty <= min_order_qty:
            errors.append(
                _("%(tier)s: the quantity must be above the minimum order quantity.")
                % {"tier": label}
            )
        if not is_divisible(unit) and qty != qty.to_integral_value():
            errors.append(_("%(tier)s: this unit is sold in whole numbers only.") % {"tier": label})
        if previous is not None:
            if qty == previous[0]:
                errors.append(_("%(tier)s: two tiers have the same quantity.") % {"tier": label})
            if price >= previous[1]:
                errors.append(
                    _("%(tier)s: prices must decrease as the quantity rises.") % {"tier": label}
                )
        previous = (qty, price)
    return errors


def publish_errors(product: "Product") -> dict[str, str]:
    """What a product lacks before buyers may see it."""
    missing = {}
    if not product.price_vnd:
        missing["price_vnd"] = _("Set a price.")
    if not product.unit:
        missing["unit"] = _("Choose a unit of sale.")
    if not product.category_id:
        missing["category"] = _("Choose a category.")
    # Photos are shared by the family. Only a READY one counts: a pending one may still fail,
    # and a published product must never be left without a photo.
    statuses = set(product.family.images.values_list("status", flat=True))
    if ProductImage.Status.READY not in statuses:
        missing["images"] = (
            _("Your photo is still being processed: publish again in a minute.")
            if ProductImage.Status.PENDING in statuses
            else _("Add at least one image.")
        )
    return missing
