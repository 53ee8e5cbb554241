"""The variant picker of a product page: chips per option kind, and the variant a choice means.

Pure functions over a family's purchasable variants (already loaded): no queries.
"""

from typing import TYPE_CHECKING, Any

from catalog.options import KIND_LABELS, KINDS

if TYPE_CHECKING:
    from catalog.models import Product


def _score(variant, wanted: dict) -> int:
    return sum(1 for k, v in wanted.items() if (variant.options or {}).get(k) == v)


def variant_for_options(
    variants: list["Product"], wanted: dict[str, str], current: "Product"
) -> "Product":
    """The variant with exactly the wanted option values; else the one sharing the most of them,
    preferring the values asked for last-changed kinds (`wanted` order) and the current variant."""
    wanted = {k: v for k, v in wanted.items() if k in KINDS and v}
    if not wanted:
        return current
    exact = [v for v in variants if all((v.options or {}).get(k) == x for k, x in wanted.items())]
    if exact:
        return next((v for v in exact if v.pk == current.pk), exact[0])
    return max(variants, key=lambda v: (_score(v, wanted), v.pk == current.pk, -v.position))


def choices(variants: list["Product"], current: "Product") -> list[dict[str, Any]]:
    """[{kind, label, chips: [{value, selected, variant}]}] for every kind the family varies on
    (or shows): each chip leads to the variant with that value and, as far as one exists, the
    current variant's other values."""
    out = []
    mine = current.options or {}
    for kind in KINDS:
        values = []
        for v in variants:
            value = (v.options or {}).get(kind)
            if value and value not in values:
                values.append(value)
        if not values:
            continue
        chips = []
        for value in values:
            target = variant_for_options(variants, {**mine, kind: value}, current)
            chips.append({"value": value, "selected": mine.get(kind) == value, "variant": target})
        out.append({"kind": kind, "label": KIND_LABELS[kind], "chips": chips})
    return out
