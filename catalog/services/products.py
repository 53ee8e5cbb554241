"""Product writes: create, update, publish, archive, price tiers, stock adjustments."""

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from catalog import options as option_rules
from catalog import rules, stock
from catalog.errors import ProductArchived, ProductIncomplete, ProductInvalid, TiersInvalid
from catalog.models import Category, PriceTier, Product, ProductEvent, ProductFamily
from catalog.services.common import (
    changed,
    check_staff,
    copy_shared_to_variants,
    jsonable,
    lock_own_product,
    product_slug,
)
from market.errors import InvalidTransition, ValidationFailed
from market.models import Cooperative, Province, User

EDITABLE_FIELDS = (
    "sku",
    "name_vi",
    "name_en",
    "description_vi",
    "description_en",
    "category_id",
    "origin_province_id",
    "unit",
    "price_vnd",
    "min_order_qty",
    "order_step",
    "unit_weight_kg",
    "availability",
    "harvest_start",
    "harvest_end",
    "season_months",
    "lead_time_days",
    "hs_code",
    "incoterms",
    "packaging",
    "port_of_loading",
    "monthly_capacity",
    "options",
    "base_qty",
    "base_unit",
    "position",
)
# What a variant holds on its own; the rest of EDITABLE_FIELDS is shared by the family.
SHARED_FIELDS = tuple(f for f in EDITABLE_FIELDS if f in ProductFamily.SHARED_FIELDS)


def _state(product: Product) -> dict[str, Any]:
    return {f: getattr(product, f) for f in (*EDITABLE_FIELDS, "stock_qty")}


def _validate(product: Product) -> None:
    from django.utils.translation import gettext as _

    errors = rules.product_errors(_state(product))
    if product.category_id and not Category.objects.filter(pk=product.category_id).exists():
        errors["category"] = _("Unknown category.")
    if (
        product.origin_province_id
        and not Province.objects.filter(pk=product.origin_province_id).exists()
    ):
        errors["origin_province"] = _("Unknown province.")
    clash = Product.objects.filter(cooperative_id=product.cooperative_id, sku=product.sku).exclude(
        pk=product.pk
    )
    if product.sku and clash.exists():
        errors["sku"] = _("Another product of this cooperative already uses this SKU.")
    _options_check(product, errors)
    if errors:
        raise ProductInvalid(fields=errors)


def _options_check(variant: Product, errors: dict[str, Any]) -> None:
    """Option values their kind allows, and no other variant of the family with the same ones."""
    from django.utils.translation import gettext as _

    bad = option_rules.options_errors(variant.options)
    if bad:
        errors["options"] = bad
        return
    variant.options = option_rules.normalise(variant.options)
    variant.options_key = option_rules.options_key(variant.options)
    if variant.base_unit and variant.base_unit not in rules.UNITS:
        errors["base_unit"] = _("Unknown unit “%(unit)s”.") % {"unit": variant.base_unit}
    if variant.base_qty is not None and Decimal(variant.base_qty) <= 0:
        errors["base_qty"] = _("Must be greater than zero.")
    if not variant.family_id:
        return
    twins = Product.objects.filter(family_id=variant.family_id, options_key=variant.options_key)
    if twins.exclude(pk=variant.pk).exists():
        errors["options"] = _(
            "Another variant of this product already has these options (%(options)s)."
        ) % {"options": variant.variant_label or _("no options")}


def _check_fields(data: dict[str, Any]) -> None:
    unknown = set(data) - set(EDITABLE_FIELDS) - {"stock_qty"}
    if unknown:
        raise ValidationFailed(fields={k: ["unknown field"] for k in sorted(unknown)})


@transaction.atomic
def product_create(*, actor: User, cooperative_id: int, data: dict[str, Any]) -> Product:
    """Create a DRAFT product for the actor's cooperative.
    Raises NotFound (not staff), ValidationFailed (unknown field), ProductInvalid (rules)."""
    check_staff(actor, cooperative_id)
    _check_fields(data)
    product = Product(cooperative_id=cooperative_id, status=Product.Status.DRAFT, **data)
    product.sku = (product.sku or "").strip()
    product.slug = product_slug(product.name_vi or "")
    _validate(product)
    product.save()
    changed(
        product,
        actor=actor,
        action=ProductEvent.Action.CREATED,
        changes={k: jsonable(v) for k, v in data.items()},
    )
    return product


@transaction.atomic
def product_update(
    *, actor: User, cooperative_id: int, product_id: int, data: dict[str, Any]
) -> Product:
    """Change some fields; an ACTIVE product must stay complete. Stock changes go through
    `product_stock_adjust`. Raises NotFound, ValidationFailed, ProductInvalid, ProductIncomplete,
    ProductArchived."""
    product = lock_own_product(actor=actor, cooperative_id=cooperative_id, product_id=product_id)
    if product.status == Product.Status.ARCHIVED:
        raise ProductArchived()
    data = dict(data)
    data.pop("stock_qty", None)
    _check_fields(data)
    before = _state(product)
    for field, value in data.items():
        setattr(product, field, value)
    if "name_vi" in data:
        product.slug = product_slug(product.name_vi or "")
    _validate(product)
    if product.status == Product.Status.ACTIVE and (missing := rules.publish_errors(product)):
        raise ProductIncomplete(fields=missing)
    diff = {
        f: [jsonable(before[f]), jsonable(getattr(product, f))]
        for f in data
        if before[f] != getattr(product, f)
    }
    if not diff:
        return product
    product.save()
    if shared := {f: getattr(product, f) for f in SHARED_FIELDS if f in diff}:
        copy_shared_to_variants(product.family, shared, slug=product.slug)
    changed(product, actor=actor, action=ProductEvent.Action.UPDATED, changes=diff)
    return product


def _move(product: Product, status: str) -> None:
    if not product.can_move_to(status):
        raise InvalidTransition(fields={"from": product.status, "to": status})


@transaction.atomic
def product_publish(*, actor: User, cooperative_id: int, product_id: int) -> Product:
    """Make the product visible to buyers. Needs a VERIFIED cooperative and a complete product
    (price, unit, category, an image). Raises NotFound, CooperativeNotVerified,
    ProductIncomplete, InvalidTransition."""
    from market.errors import CooperativeNotVerified

    product = lock_own_product(actor=actor, cooperative_id=cooperative_id, product_id=product_id)
    _move(product, Product.Status.ACTIVE)
    if Cooperative.objects.get(pk=cooperative_id).status != Cooperative.Status.VERIFIED:
        raise CooperativeNotVerified()
    missing = rules.publish_errors(product)
    if missing:
        raise ProductIncomplete(fields=missing)
    product.status, product.published_at = Product.Status.ACTIVE, timezone.now()
    product.save(update_fields=["status", "published_at", "updated_at"])
    changed(product, actor=actor, action=ProductEvent.Action.PUBLISHED)
    return product


@transaction.atomic
def product_archive(*, actor: User, cooperative_id: int, product_id: int) -> Product:
    """Hide the product from buyers (kept for order history). Raises NotFound, InvalidTransition."""
    product = lock_own_product(actor=actor, cooperative_id=cooperative_id, product_id=product_id)
    _move(product, Product.Status.ARCHIVED)
    product.status = Product.Status.ARCHIVED
    product.save(update_fields=["status", "updated_at"])
    changed(product, actor=actor, action=ProductEvent.Action.ARCHIVED)
    return product


@transaction.atomic
def product_price_tiers_set(
    *, actor: User, cooperative_id: int, product_id: int, tiers: list[dict[str, Any]]
) -> list[PriceTier]:
    """Replace the volume tiers ([{min_qty, price_vnd}]; [] removes them). Raises NotFound,
    ProductArchived, TiersInvalid (quantities must rise, prices strictly fall below the base)."""
    product = lock_own_product(actor=actor, cooperative_id=cooperative_id, product_id=product_id)
    if product.status == Product.Status.ARCHIVED:
        raise ProductArchived()
    errors = rules.tier_errors(
        tiers=tiers,
        price_vnd=product.price_vnd,
        unit=product.unit,
        min_order_qty=product.min_order_qty,
    )
    if errors:
        raise TiersInvalid(fields={"tiers": errors})
    before = [[str(t.min_qty), t.price_vnd] for t in product.price_tiers.all()]
    product.price_tiers.all().delete()
    made = PriceTier.objects.bulk_create(
        [
            PriceTier(product=product, min_qty=Decimal(t["min_qty"]), price_vnd=int(t["price_vnd"]))
            for t in tiers
        ]
    )
    after = sorted(([str(t.min_qty), t.price_vnd] for t in made), key=lambda t: Decimal(str(t[0])))
    changed(
        product,
        actor=actor,
        action=ProductEvent.Action.TIERS,
        changes={"before": before, "after": after},
    )
    return sorted(made, key=lambda t: t.min_qty)


STOCK_MODES = ("set", "increase", "decrease")


@transaction.atomic
def product_stock_adjust(
    *,
    actor: User,
    cooperative_id: int,
    product_id: int,
    mode: str,
    quantity: Decimal,
    reason: str = "",
) -> Product:
    """Set, add to or take from stock through `catalog.stock` (row locked, never negative).
    Raises NotFound, ProductInvalid (fraction for a whole unit, bad mode), InsufficientStock."""
    from django.utils.translation import gettext as _

    product = lock_own_product(actor=actor, cooperative_id=cooperative_id, product_id=product_id)
    # Check the stock the operation leaves (an increase can overflow the column), not the operand.
    after = product.stock_qty + quantity if mode == "increase" else quantity
    errors = rules.product_errors({**_state(product), "stock_qty": after})
    if mode not in STOCK_MODES:
        raise ProductInvalid(fields={"mode": _("Unknown stock operation.")})
    if mode != "set" and quantity <= 0:
        raise ProductInvalid(fields={"quantity": _("Must be greater than zero.")})
    if "stock_qty" in errors:
        raise ProductInvalid(fields={"quantity": errors["stock_qty"]})
    op = {
        "set": stock.stock_set,
        "increase": stock.stock_increase,
        "decrease": stock.stock_decrease,
    }[mode]
    return op(product=product, quantity=quantity, reason=reason or f"manual {mode}", actor=actor)
