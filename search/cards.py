"""The rows behind search result cards: what may change at any moment (prices, stock,
availability, which variants are purchasable) is read from the database for every page; what
changes only with a content edit (names, SKUs, options, units, the cooperative, provinces,
category, thumbnail) is kept per process, for one card generation.

The card generation (`CardGeneration`, one row) moves on when a content edit commits
(`market.shared.outbox.changes_committed` with content=True) and whenever the index applies
outbox rows (`search.sync.apply`): every catalog change that a card shows writes an outbox row in
its transaction (catalog, cooperatives, categories, certifications, photos), so a drain always
follows it, even when the commit signal was lost. Each page reads the generation in the same
statement as its prices and stock; the process keeps static parts only for the generation it
last read, and parts read under one generation are never used under another. So a renamed
cooperative shows on the next page after its commit (at the latest after its outbox drain),
exactly as if nothing were kept; prices and stock are never taken from what is kept.

A page whose families are all kept reads one narrow statement (the variants' ids, prices, stock,
positions and the families' availability: ~0.15 ms for 24 families on SQLite); otherwise one
statement with every card column (as before: ~0.4 ms), which also fills what is kept.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import F, QuerySet, Subquery

from catalog.models import Product
from catalog.selectors import CARD_FAMILY_FIELDS, card_rows_queryset, card_variants
from market.shared.compiled import rows_for_ids
from search.models import CardGeneration

# Per process: (generation, {family id: its static card parts}, {kind: {id: row}} of facet
# labels). Replaced, never mutated across generations: a thread still holding the previous
# triple only ever writes into that one.
_kept: tuple[Any, dict[int, dict[str, Any]], dict[str, dict[int, dict[str, Any]]]] = (
    None,
    {},
    {},
)
UNKNOWN = object()  # the generation of a page that read no card row


def _generation() -> Subquery:
    return Subquery(CardGeneration.objects.filter(pk=CardGeneration.ROW).values("value")[:1])


# What a card reads on every page: which variants are purchasable, their prices and stock, and
# the family's availability (and `position`, for the order and the cheapest variant's tie).
FRESH = ("pk", "family_id", "price_vnd", "stock_qty", "position", "family__availability")


def _fresh(ids: list[int]) -> QuerySet[Product, dict[str, Any]]:
    """What a card must read every time, with the same filter and order as the full rows."""
    rows: QuerySet[Product, dict[str, Any]] = card_variants(ids).values(
        *FRESH, card_generation=_generation()
    )
    return rows


def _full(ids: list[int]) -> QuerySet[Product, dict[str, Any]]:
    return card_rows_queryset(ids).annotate(card_generation=_generation())


# A variant's parts that only a content edit changes; the family's are those of its rows.
VARIANT_STATIC = ("sku", "slug", "name_vi", "name_en", "options", "unit")
FAMILY_STATIC = (*CARD_FAMILY_FIELDS, "photo_variants", "photo_original")


def card_rows(ids: list[int]) -> list[dict[str, Any]]:
    """The purchasable variants of the families `ids`, each with every column of
    `catalog.selectors.family_card_rows` (in its order: position, pk), prices, stock and
    availability read now, and the card generation read with them (`card_generation`). One
    statement: the narrow one when every family's static parts are kept for the generation it
    reads, else the full one."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return []
    limit = getattr(settings, "SEARCH_CARD_CACHE_FAMILIES", 0)
    generation, kept, _names = _kept
    # A local copy of the entries: another thread may trim the dict meanwhile.
    found = {i: kept.get(i) for i in ids} if limit > 0 else {}
    entries = {i: entry for i, entry in found.items() if entry is not None}
    if entries and len(entries) == len(ids):
        rows = rows_for_ids("card-fresh-rows", Product, _fresh, ids)
        now = rows[0]["card_generation"] if rows else generation
        if now == generation and all(
            row["pk"] in entries[row["family_id"]]["variants"] for row in rows
        ):
            for row in rows:  # (a variant published since is not kept: read everything)
                entry = entries[row["family_id"]]
                row.update(entry["family"])
                row.update(entry["variants"][row["pk"]])
            return rows
    rows = rows_for_ids("card-full-rows", Product, _full, ids)
    if limit > 0 and rows:
        _keep(rows, limit)
    return rows


def _keep(rows: list[dict[str, Any]], limit: int) -> None:
    """Keep the static parts of `rows` for the generation they were read with."""
    global _kept
    now = rows[0]["card_generation"]
    generation, kept, _names = _kept
    if now != generation:
        kept = {}
        _kept = (now, kept, {})
    families: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = families.get(row["family_id"])
        if entry is None:
            entry = families[row["family_id"]] = {
                "family": {k: row[k] for k in FAMILY_STATIC},
                "variants": {},
            }
        entry["variants"][row["pk"]] = {k: row[k] for k in VARIANT_STATIC}
    kept.update(families)
    if len(kept) > limit:  # down to half the limit, oldest first (dicts keep insertion order)
        for family_id in list(kept)[: len(kept) - limit // 2]:
            kept.pop(family_id, None)


def kept_rows(
    kind: str,
    ids: list[int],
    generation: Any,
    read: Callable[[list[int]], list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """`read(ids)` (rows with a "pk": the names of a page's facet values, e.g. its
    cooperatives), kept like the cards' static parts: only when `generation` (read with the same
    page's card rows) is the one kept; a page that read no card row (UNKNOWN) reads them."""
    limit = getattr(settings, "SEARCH_CARD_CACHE_FAMILIES", 0)
    kept_generation, _families, names = _kept
    if limit <= 0 or generation is UNKNOWN or generation != kept_generation:
        return read(ids)
    table = names.setdefault(kind, {})
    found = {i: table.get(i) for i in ids}  # a local copy: another thread may clear the table
    missing = [i for i, row in found.items() if row is None]
    if missing:
        rows = read(missing)
        found.update((row["pk"], row) for row in rows)
        if len(table) + len(rows) > limit:
            table.clear()
        table.update((row["pk"], row) for row in rows)
    return [row for row in found.values() if row is not None]


def forget() -> None:
    """Drop what this process keeps (tests; the next page reads everything)."""
    global _kept
    _kept = (None, {}, {})


def card_generation_bump() -> None:
    """Move the card generation on (in the current transaction, if any: visible when it
    commits, like the changes it follows; drains and commit signals run outside one)."""
    row = CardGeneration.objects.filter(pk=CardGeneration.ROW)
    if not row.update(value=F("value") + 1):
        CardGeneration.objects.get_or_create(pk=CardGeneration.ROW, defaults={"value": 1})
        row.update(value=F("value") + 1)
