"""Product families and their variants: create a family with its variants, edit what they share,
add and delete variants, and edit price and stock across variants in one go.

Locks: the family row first, then its variants in pk order (parent before child, as everywhere).
Stock still only changes through `catalog.stock`. A variant of another cooperative's family is
"not found", never "forbidden" (the answer must not reveal that it exists).
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from catalog import rules, stock
from catalog.errors import LastVariant, ProductArchived, ProductInvalid, VariantInOrders
from catalog.models import Category, Product, ProductEvent, ProductFamily
from catalog.services.common import (
    changed,
    check_staff,
    copy_shared_to_variants,
    jsonable,
    product_slug,
)
from catalog.services.products import EDITABLE_FIELDS, SHARED_FIELDS, _validate
from market.errors import NotFound, ValidationFailed
from market.models import Province, User

FAMILY_FIELDS = (*SHARED_FIELDS, "family_key")
VARIANT_FIELDS = tuple(f for f in EDITABLE_FIELDS if f not in SHARED_FIELDS)


def lock_own_family(*, actor: User | None, cooperative_id: int, family_id: int) -> ProductFamily:
    """Lock the family if it belongs to the actor's cooperative; NotFound otherwise."""
    assert transaction.get_connection().in_atomic_block
    check_staff(actor, cooperative_id)
    family = (
        ProductFamily.objects.select_for_update()
        .filter(pk=family_id, cooperative_id=cooperative_id)
        .first()
    )
    if family is None:
        raise NotFound()
    return family


def _lock_variants(family: ProductFamily) -> list[Product]:
    return list(family.variants.order_by("pk").select_for_update())


def _unknown(data: dict[str, Any], allowed: Any) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationFailed(fields={k: ["unknown field"] for k in sorted(unknown)})


def _family_errors(values: dict[str, Any]) -> dict[str, Any]:
    """Rules of the shared fields (the variant rules are checked per variant)."""
    state = {"sku": "x", "unit": "KG", **values}
    errors = {k: v for k, v in rules.product_errors(state).items() if k in FAMILY_FIELDS}
    errors.update(_ref_errors(values))
    return errors


def _ref_errors(values: dict[str, Any]) -> dict[str, Any]:
    errors = {}
    category_id = values.get("category_id")
    if category_id and not Category.objects.filter(pk=category_id).exists():
        errors["category"] = _("Unknown category.")
    province_id = values.get("origin_province_id")
    if province_id and not Province.objects.filter(pk=province_id).exists():
        errors["origin_province"] = _("Unknown province.")
    return errors


def _new_variant(family: ProductFamily, data: dict[str, Any], position: int) -> Product:
    variant = Product(
        cooperative_id=family.cooperative_id,
        family=family,
        status=Product.Status.DRAFT,
        slug=family.slug,
        position=position,
        **family.shared_values(),
        **data,
    )
    variant.sku = (variant.sku or "").strip()
    return variant


@transaction.atomic
def family_create(
    *, actor: User | None, cooperative_id: int, data: dict[str, Any], variants: list[dict[str, Any]]
) -> ProductFamily:
    """Create a family (shared fields in `data`) with its DRAFT variants (at least one; each
    {sku, options, unit, price_vnd, min_order_qty, order_step, stock_qty, ...}).
    Raises NotFound (not staff), ValidationFailed (unknown field), ProductInvalid (rules, SKU
    used, two variants with the same options, an option value its kind does not allow)."""
    check_staff(actor, cooperative_id)
    _unknown(data, FAMILY_FIELDS)
    for row in variants:
        _unknown(row, (*VARIANT_FIELDS, "stock_qty"))
    if not variants:
        raise ProductInvalid(fields={"variants": _("Add at least one variant.")})
    errors = _family_errors(data)
    if errors:
        raise ProductInvalid(fields=errors)
    family = ProductFamily(cooperative_id=cooperative_id, **data)
    family.slug = product_slug(family.name_vi or "")
    family.save()
    made = []
    for i, row in enumerate(variants):
        variant = _new_variant(family, row, i)
        try:
            _validate(variant)
        except ProductInvalid as exc:
            raise ProductInvalid(fields={"variants": {i: exc.fields}}) from None
        variant.save()  # saved one by one: the next one's SKU/options check sees it
        made.append(variant)
    for variant in made:
        changed(
            variant,
            actor=actor,
            action=ProductEvent.Action.CREATED,
            changes={"family_id": family.pk},
        )
    return family


@transaction.atomic
def family_update(
    *, actor: User | None, cooperative_id: int, family_id: int, data: dict[str, Any]
) -> ProductFamily:
    """Change what the variants share; every variant gets the new values in the same
    transaction. Raises NotFound, ValidationFailed, ProductInvalid."""
    family = lock_own_family(actor=actor, cooperative_id=cooperative_id, family_id=family_id)
    _unknown(data, FAMILY_FIELDS)
    errors = _family_errors({**family.shared_values(), **data})
    if errors:
        raise ProductInvalid(fields=errors)
    before = {f: jsonable(getattr(family, f)) for f in data}
    diff = {f: [before[f], jsonable(v)] for f, v in data.items() if before[f] != jsonable(v)}
    if not diff:
        return family
    family_key = data.pop("family_key", None)
    if family_key is not None:
        family.family_key = family_key
    slug = product_slug(data["name_vi"]) if "name_vi" in data else None
    ids = copy_shared_to_variants(family, data, slug=slug)
    for variant in Product.objects.filter(pk__in=ids):
        changed(variant, actor=actor, action=ProductEvent.Action.FAMILY_UPDATED, changes=diff)
    return family


@transaction.atomic
def variant_add(
    *, actor: User | None, cooperative_id: int, family_id: int, data: dict[str, Any]
) -> Product:
    """Add a DRAFT variant to a family of the actor's cooperative. Raises NotFound (another
    cooperative's family), ValidationFailed, ProductInvalid (SKU used, same options as another
    variant, an option value its kind does not allow)."""
    family = lock_own_family(actor=actor, cooperative_id=cooperative_id, family_id=family_id)
    _unknown(data, (*VARIANT_FIELDS, "stock_qty"))
    position = family.variants.count()
    variant = _new_variant(family, data, position)
    _validate(variant)
    variant.save()
    changed(
        variant, actor=actor, action=ProductEvent.Action.CREATED, changes={"family_id": family.pk}
    )
    return variant


@transaction.atomic
def variant_delete(*, actor: User | None, cooperative_id: int, variant_id: int) -> None:
    """Delete a variant that was never ordered (archive it otherwise). The last variant of a
    published family cannot go (archive the family's variants instead); the last variant of an
    unpublished family takes the family with it. Raises NotFound, LastVariant, VariantInOrders."""
    check_staff(actor, cooperative_id)
    family_id = (
        Product.objects.filter(pk=variant_id, cooperative_id=cooperative_id)
        .values_list("family_id", flat=True)
        .first()
    )
    if family_id is None:
        raise NotFound()
    family = lock_own_family(actor=actor, cooperative_id=cooperative_id, family_id=family_id)
    variants = _lock_variants(family)
    variant = next(v for v in variants if v.pk == variant_id)
    published = any(v.status == Product.Status.ACTIVE for v in variants)
    if len(variants) == 1 and published:
        raise LastVariant()
    if variant.order_lines.exists():
        raise VariantInOrders()
    others = [v for v in variants if v.pk != variant_id]
    variant.price_tiers.all().delete()
    variant.events.all().delete()
    variant.delete()
    if others:
        changed(
            others[0],
            actor=actor,
            action=ProductEvent.Action.VARIANT_DELETED,
            changes={"sku": variant.sku},
        )
    else:
        family.delete()
    from market.shared.outbox import record_changes

    record_changes(entity="family", ids=[family_id])  # the search rebuilds or drops its document


def _parse_bulk_row(
    row: dict[str, Any], errors: dict[int, Any], i: int
) -> tuple[int | None, Decimal | None]:
    price, qty = row.get("price_vnd"), row.get("stock_qty")
    try:
        price = None if price in (None, "") else int(price)
        qty = None if qty in (None, "") else Decimal(str(qty))
    except (TypeError, ValueError, InvalidOperation):
        errors[i] = {"row": _("Enter whole đồng for the price and a number for the stock.")}
        return None, None
    return price, qty


@transaction.atomic
def variants_bulk_edit(
    *, actor: User | None, cooperative_id: int, family_id: int, rows: list[dict[str, Any]]
) -> list[Product]:
    """Set price and/or stock of several variants of one family at once, all or nothing.
    `rows`: [{variant_id, price_vnd?, stock_qty?}]. Stock goes through catalog.stock (locked,
    never negative). Raises NotFound (a variant not of this family), ProductInvalid
    ({"rows": {index: {field: message}}}), ProductArchived."""
    family = lock_own_family(actor=actor, cooperative_id=cooperative_id, family_id=family_id)
    variants = {v.pk: v for v in _lock_variants(family)}
    errors: dict[int, Any] = {}
    plan: list[tuple[Product, int | None, Decimal | None]] = []
    for i, row in enumerate(rows):
        variant = variants.get(_int(row.get("variant_id")) or 0)
        if variant is None:
            raise NotFound()
        price, qty = _parse_bulk_row(row, errors, i)
        state = {f: getattr(variant, f) for f in (*EDITABLE_FIELDS, "stock_qty")}
        if price is not None:
            state["price_vnd"] = price
        if qty is not None:
            state["stock_qty"] = qty
        bad = {
            k: v for k, v in rules.product_errors(state).items() if k in ("price_vnd", "stock_qty")
        }
        if variant.status == Product.Status.ARCHIVED and (price is not None or qty is not None):
            raise ProductArchived()
        if bad:
            errors[i] = bad
        plan.append((variant, price, qty))
    if errors:
        raise ProductInvalid(fields={"rows": errors})
    for variant, price, qty in plan:
        _bulk_apply(variant, price, qty, actor)
    return [variants[pk] for pk in sorted(variants)]


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _bulk_apply(
    variant: Product, price: int | None, qty: Decimal | None, actor: User | None
) -> None:
    if price is not None and price != variant.price_vnd:
        before = variant.price_vnd
        # Tiers must stay below the base price: tiers at or above the new price are dropped.
        dropped = list(
            variant.price_tiers.filter(price_vnd__gte=price).values_list("pk", flat=True)
        )
        variant.price_tiers.filter(pk__in=dropped).delete()
        variant.price_vnd = price
        variant.save(update_fields=["price_vnd", "updated_at"])
        changed(
            variant,
            actor=actor,
            action=ProductEvent.Action.UPDATED,
            changes={"price_vnd": [before, price], "tiers_dropped": len(dropped)},
        )
    if qty is not None and qty != variant.stock_qty:
        stock.stock_set(product=variant, quantity=qty, reason="bulk edit", actor=actor)
