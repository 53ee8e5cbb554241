"""Reads: product search and autocomplete for buyers (anyone may search the public catalog).

`product_search()` is what the API and the server-rendered pages call. The index only chooses
and orders product family ids (one document per family, docs/search.md); everything shown
(price range, stock, names, variants) is read fresh from the database, and a family with no
purchasable variant left is dropped even if the index has not caught up yet.
"""

import heapq
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from catalog.models import (
    Availability,
    Category,
    Certification,
    Incoterm,
    ProductFamily,
)
from catalog.options import label as option_label
from catalog.selectors import (
    category_rows,
    family_for_card,
    family_list_for_cards,
)
from catalog.units import BASE_UNIT, Unit
from market import metrics
from market.models import Cooperative
from market.reference.admin_units import province_names
from market.shared.compiled import rows_for_ids
from search import cards as card_store
from search.backends import Query, SearchBackend, get_backend, get_fallback
from search.backends.base import (
    MAX_SIZE,
    MAX_WINDOW,
    PRICE_BUCKETS,
    SORTS,
    BackendUnavailable,
    decode_cursor,
)
from search.errors import InvalidSearch, PageTooDeep, SearchUnavailable
from search.text import highlight, parse

T = TypeVar("T")
log = logging.getLogger("htx.search")

FACET_LIMIT = {
    "cooperative": 20,
    "category": 200,
    "province": 50,
    "pack": 50,
    "grade": 50,
    "crop_year": 20,
}
INCOTERMS = tuple(Incoterm.values)  # the catalog model's choices, in their order


@dataclass
class ProductSearchPage:
    results: list["ProductCard"]  # the page's cards, in index order
    total: int
    page: int
    size: int
    # False when the match is larger than SEARCH_EXACT_COUNT_UP_TO and the backend estimated
    # the total and the facet counts (from a sample) instead of counting every match
    total_exact: bool = True
    # the facets whose counts are those estimates (SearchResult.estimated_facets); every other
    # facet is counted exactly, also when `total_exact` is false
    estimated_facets: tuple[str, ...] = ()
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    suggestions: list[str] = field(default_factory=list)
    next_cursor: str | None = None
    corrected_query: str | None = None  # the typo-corrected query these results are for
    degraded: bool = False  # answered by the database fallback: the search engine is down
    ids: list[int] = field(default_factory=list)  # the families chosen, in order (as `results`)


@dataclass
class ProductCard:
    """What a result card shows, read fresh from the database, in the request's language: one
    product family; unit, SKU and stock are those of its cheapest variant (`variant_id`)."""

    id: int  # the family
    variant_id: int
    price_min_vnd: int | None
    price_max_vnd: int | None
    variant_count: int
    variants: list[dict[str, Any]]
    slug: str
    sku: str
    name: str
    name_vi: str
    name_en: str
    highlight: dict[str, str]
    cooperative_id: int
    cooperative_name: str
    cooperative_province_id: int
    cooperative_province_name: str
    origin_province_id: int | None
    origin_province_name: str | None
    category_id: int | None
    category_name: str | None
    thumbnail_url: str | None
    unit: str
    unit_label: str
    price_vnd: int | None
    base_unit: str | None
    base_unit_label: str | None
    price_per_base_unit_vnd: int | None
    stock_qty: Decimal
    in_stock: bool
    availability: str
    availability_label: str


def validate_query(query: Query) -> Query:
    """Raise InvalidSearch / PageTooDeep for anything a backend must not see."""
    errors = {}
    if query.sort not in SORTS:
        errors["sort"] = [_("Unknown sort order.")]
    if query.page < 1:
        errors["page"] = [_("The page must be 1 or more.")]
    if not 1 <= query.size <= MAX_SIZE:
        errors["size"] = [_("The page size must be between 1 and %(max)s.") % {"max": MAX_SIZE}]
    for name in ("price_min", "price_max", "ocop_stars"):
        if (value := getattr(query, name)) is not None and value < 0:
            errors[name] = [_("Must not be negative.")]
    if (
        query.price_min is not None
        and query.price_max is not None
        and query.price_min > query.price_max
    ):
        errors["price_max"] = [_("The maximum price must not be below the minimum price.")]
    if query.certification and query.certification not in Certification.Kind.values:
        errors["certification"] = [_("Unknown certification.")]
    if query.incoterm and query.incoterm not in INCOTERMS:
        errors["incoterm"] = [_("Unknown Incoterm.")]
    if query.cursor and decode_cursor(query.cursor) is None:
        errors["cursor"] = [_("This cursor is not valid; start again from the first page.")]
    known: dict[str, Callable[[int], bool]] = {  # categories, provinces: the process copies
        "category": lambda pk: pk in category_rows() or Category.objects.filter(pk=pk).exists(),
        "province": lambda pk: pk in province_names([pk]),
        "cooperative": lambda pk: Cooperative.objects.filter(pk=pk).exists(),
    }
    for name, exists in known.items():
        value = getattr(query, name)
        if value is not None and not exists(value):
            errors[name] = [_("Unknown value.")]
    if errors:
        raise InvalidSearch(fields=errors)
    if not query.cursor and query.page * query.size > MAX_WINDOW:
        raise PageTooDeep()
    return query


def product_search(query: Query, *, hydrate: bool = True) -> ProductSearchPage:
    """Search purchasable products; `results` are the page's cards (`ProductCard`, in index
    order, read fresh from the database in the request's language; with `hydrate=False` only
    their `ids`: a caller that keeps rendered cards hydrates the ones it lacks with
    `family_cards_for(ids)`). Raises InvalidSearch, PageTooDeep (400) or SearchUnavailable
    (503: the engine is down)."""
    validate_query(query)
    result, degraded = _search_with_fallback(lambda backend: backend.search(query))
    cards, generation = _product_cards(result.ids) if hydrate else ([], card_store.UNKNOWN)
    parsed = parse(result.corrected_query or query.q)
    for card in cards:
        card.highlight = {
            "name_vi": highlight(card.name_vi, parsed),
            "name_en": highlight(card.name_en, parsed),
        }
    return ProductSearchPage(
        results=cards,
        total=result.total,
        total_exact=result.total_exact,
        estimated_facets=tuple(sorted(result.estimated_facets)),
        page=query.page,
        size=query.size,
        facets=_label_facets(result.facets, query, generation),
        suggestions=[] if result.corrected_query else result.suggestions,
        next_cursor=result.next_cursor,
        corrected_query=result.corrected_query,
        degraded=degraded,
        ids=list(result.ids),
    )


def family_cards_for(ids: list[int]) -> list[ProductFamily]:
    """The families of `ids` still purchasable, in that order, ready for a result card."""
    return _hydrate(ids)


def product_cards_for(ids: list[int]) -> list[ProductCard]:
    """Result cards for the families `ids` still purchasable, in that order: names,
    cooperative and province names, category name, thumbnail, unit and base-unit price, SKU,
    availability; a client renders them without a second request. One query of plain rows
    (`search.cards.card_rows`): prices and stock are always the database's."""
    return _product_cards(ids)[0]


def _product_cards(ids: list[int]) -> tuple[list[ProductCard], Any]:
    """The cards of `ids` and the card generation read with them (search.cards)."""
    if not ids:
        return [], card_store.UNKNOWN
    language = get_language() or "vi"
    english = language.startswith("en")
    labels = _choice_labels(language)
    variants: dict[int, list[dict[str, Any]]] = {}
    rows = card_store.card_rows(ids)
    for row in rows:
        variants.setdefault(row["family_id"], []).append(row)
    provinces = province_names(
        code
        for row in rows
        for code in (row["family__cooperative__province_id"], row["family__origin_province_id"])
    )
    cards = [_card(variants[i], english, labels, provinces) for i in ids if i in variants]
    return cards, rows[0]["card_generation"] if rows else card_store.UNKNOWN


_CHOICE_LABELS: dict[str, dict[str, str]] = {}


def _choice_labels(language: str) -> dict[str, str]:
    """Unit and availability labels in `language`, translated once per process and language
    (get_FOO_display() cost ~0.7 ms a call: flatchoices rebuilt and a lazy string translated
    each time; translating the 40 labels once per page still cost ~0.1 ms)."""
    labels = _CHOICE_LABELS.get(language)
    if labels is None:
        labels = {k: str(v) for k, v in [*Unit.choices, *Availability.choices]}
        _CHOICE_LABELS[language] = labels
    return labels


def _cheapest(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The card's variant: the cheapest priced one (as `catalog.selectors.family_for_card`)."""
    priced = [r for r in rows if r["price_vnd"] is not None] or rows
    return min(priced, key=lambda r: (r["price_vnd"] or 0, r["position"], r["pk"]))


def _thumbnail(row: dict[str, Any]) -> str | None:
    """The first READY photo's thumbnail (JPEG), else its original; None without a photo.
    Only a READY image has files: a card never points at a variant that is not made yet."""
    thumb = (row["photo_variants"] or {}).get("thumb", {})
    if thumb.get("jpeg"):
        return default_storage.url(thumb["jpeg"])
    return default_storage.url(row["photo_original"]) if row["photo_original"] else None


def _card(
    rows: list[dict[str, Any]],
    english: bool,
    labels: dict[str, str],
    provinces: dict[int, str],
) -> ProductCard:
    def local(vi: str, en: str) -> str:
        return en if english and en else vi

    p = _cheapest(rows)
    prices = [r["price_vnd"] for r in rows if r["price_vnd"] is not None]
    base, factor = BASE_UNIT.get(p["unit"], (None, None))
    per_base = None
    if base and factor is not None and p["price_vnd"] is not None:
        per_base = int((Decimal(p["price_vnd"]) / factor).quantize(Decimal(1), ROUND_HALF_UP))
    availability = p["family__availability"]
    category_id = p["family__category_id"]
    origin = p["family__origin_province_id"]
    return ProductCard(
        id=p["family_id"],
        variant_id=p["pk"],
        price_min_vnd=min(prices, default=None),
        price_max_vnd=max(prices, default=None),
        variant_count=len(rows),
        variants=[
            {
                "id": r["pk"],
                "label": option_label(r["options"]),
                "options": r["options"],
                "price_vnd": r["price_vnd"],
                "unit": r["unit"],
                "stock_qty": r["stock_qty"],
            }
            for r in rows
        ],
        slug=p["slug"],
        sku=p["sku"],
        name=local(p["name_vi"], p["name_en"]),
        name_vi=p["name_vi"],
        name_en=p["name_en"],
        highlight={},
        cooperative_id=p["family__cooperative_id"],
        cooperative_name=(
            p["family__cooperative__trading_name"] or p["family__cooperative__legal_name"]
        ),
        cooperative_province_id=p["family__cooperative__province_id"],
        cooperative_province_name=provinces[p["family__cooperative__province_id"]],
        # shared by the variants: the family's are theirs
        origin_province_id=origin,
        origin_province_name=provinces.get(origin) if origin is not None else None,
        category_id=category_id,
        category_name=(
            local(p["family__category__name_vi"], p["family__category__name_en"])
            if category_id is not None
            else None
        ),
        thumbnail_url=_thumbnail(p),
        unit=p["unit"],
        unit_label=labels.get(p["unit"], p["unit"]),
        price_vnd=p["price_vnd"],
        base_unit=str(base) if base else None,
        base_unit_label=labels.get(base) if base else None,
        price_per_base_unit_vnd=per_base,
        stock_qty=p["stock_qty"],
        in_stock=p["stock_qty"] > 0,
        availability=availability,
        availability_label=labels.get(availability, availability),
    )


def _search_with_fallback(call: Callable[[SearchBackend], T]) -> tuple[T, bool]:
    """(answer, degraded): from the engine, or from the database fallback while it is down.
    Raises SearchUnavailable when there is no fallback. Latency goes to /metrics."""
    backend = get_backend()
    started = time.perf_counter()
    try:
        answer = call(backend)
        metrics.SEARCH_LATENCY.labels(backend.name, "ok").observe(time.perf_counter() - started)
        return answer, False
    except BackendUnavailable as exc:
        metrics.SEARCH_LATENCY.labels(backend.name, "down").observe(time.perf_counter() - started)
        fallback = get_fallback()
        if fallback is None:
            log.exception("search backend unavailable")
            raise SearchUnavailable() from None
        log.warning("search engine unavailable, answering from the database: %s", exc)
    started = time.perf_counter()
    answer = call(fallback)
    metrics.SEARCH_LATENCY.labels(fallback.name, "fallback").observe(time.perf_counter() - started)
    return answer, True


def product_suggest(prefix: str, limit: int = 8) -> list[str]:
    """Product names for an autocomplete box. Raises SearchUnavailable."""
    if not (prefix or "").strip():
        return []
    suggestions, _degraded = _search_with_fallback(
        lambda backend: backend.suggest(prefix, limit=limit)
    )
    return suggestions


def _hydrate(ids: list[int]) -> list[ProductFamily]:
    """Families in index order with their purchasable variants, fresh from the database."""
    if not ids:
        return []
    rows = family_list_for_cards().filter(pk__in=ids).order_by()
    by_id = {f.pk: f for f in rows if family_for_card(f)}
    return [by_id[i] for i in ids if i in by_id]


def _category_labels(ids: list[int], english: bool, generation: Any) -> dict[int, str]:
    """Names of categories `ids`: from the process copy (catalog.selectors.category_rows), or
    from the database when one is missing from it (added since)."""
    # Without a process copy (PUBLIC_CACHE_SECONDS=0: tests, `make run`, the benches)
    # category_rows() reads the whole table on every call: read only these ids then. A page
    # that read cards keeps them with the cards' static parts for its card generation instead
    # (a rename shows at once, not after the process copy's PUBLIC_CACHE_SECONDS).
    known = (
        category_rows()
        if generation is card_store.UNKNOWN and getattr(settings, "PUBLIC_CACHE_SECONDS", 0) > 0
        else {}
    )
    if ids and set(ids) <= known.keys():
        rows = [known[pk]._asdict() for pk in ids]
    else:
        rows = card_store.kept_rows(
            "categories",
            ids,
            generation,
            lambda some: rows_for_ids("facet-categories", Category, _categories, some),
        )
    return {r["pk"]: r["name_en"] if english and r["name_en"] else r["name_vi"] for r in rows}


def _label_facets(
    facets: dict[str, dict[Any, int]], query: Query, generation: Any = card_store.UNKNOWN
) -> dict[str, list[dict[str, Any]]]:
    """The facets' values with their labels in the request's language; cooperative and
    category names are kept with the cards' static parts for the page's card `generation`."""
    language = get_language() or "vi"
    english = language.startswith("en")
    fixed = _fixed_labels(language)
    labels: dict[str, Callable[[list[Any]], Mapping[Any, Any]]] = {
        "category": lambda ids: _category_labels(_int_ids(ids), english, generation),
        "province": province_names,
        "cooperative": lambda ids: {
            r["pk"]: r["trading_name"] or r["legal_name"]
            for r in card_store.kept_rows(
                "cooperatives",
                _int_ids(ids),
                generation,
                lambda some: rows_for_ids("facet-cooperatives", Cooperative, _cooperatives, some),
            )
        },
        "certification": lambda ids: fixed["certification"],
        "ocop_stars": lambda ids: {s: fixed["ocop_stars"].get(s) or _stars(s) for s in ids},
        "price": lambda ids: {i: fixed["price"][i] for i in ids if i in fixed["price"]},
        "in_stock": lambda ids: fixed["in_stock"],
        "incoterm": lambda ids: {i: i for i in ids},
        "pack": lambda ids: {i: i for i in ids},
        "grade": lambda ids: {i: i for i in ids},
        "crop_year": lambda ids: {i: i for i in ids},
    }
    out: dict[str, list[dict[str, Any]]] = {}
    for name, counts in facets.items():
        if len(counts) > FACET_LIMIT.get(name, 1000):  # the long tail is not shown, so not labelled
            counts = dict(
                heapq.nsmallest(
                    FACET_LIMIT[name], counts.items(), key=lambda kv: (-kv[1], str(kv[0]))
                )
            )
        names = labels[name](list(counts))
        values = [
            {"value": v, "label": label if type(label) is str else str(label), "count": n}
            for v, n in counts.items()
            if (label := names.get(v)) is not None
        ]
        if name == "price":
            for v in values:
                v["from"], v["to"] = PRICE_BUCKETS[v["value"]]
        key = (
            (lambda v: v["value"])
            if name in ("price", "ocop_stars")
            else (lambda v: (-v["count"], v["label"]))
        )
        out[name] = sorted(values, key=key)
    return out


# Facet labels are read with statements compiled once (`market.shared.compiled`).
def _categories(ids: list[int]) -> QuerySet[Category, Any]:
    return Category.objects.filter(pk__in=ids).order_by().values("pk", "name_vi", "name_en")


def _cooperatives(ids: list[int]) -> QuerySet[Cooperative, Any]:
    coops = Cooperative.objects.filter(pk__in=ids).order_by()
    return coops.values("pk", "legal_name", "trading_name")


def _int_ids(values: list[Any]) -> list[int]:
    """The facet values that can be ids (positive integers); others name nothing."""
    return [v for v in values if type(v) is int and v > 0]


_FIXED_LABELS: dict[str, dict[str, dict[Any, str]]] = {}


def _fixed_labels(language: str) -> dict[str, dict[Any, str]]:
    """The facet labels that depend only on the language, translated once per process and
    language (gettext per label was ~0.15 ms of a page)."""
    labels = _FIXED_LABELS.get(language)
    if labels is None:
        labels = {
            "certification": {k: str(v) for k, v in Certification.Kind.choices},
            "ocop_stars": {s: _stars(s) for s in range(1, 6)},
            "price": {i: _price_label(i) for i in range(len(PRICE_BUCKETS))},
            "in_stock": {True: _("In stock"), False: _("Out of stock")},
        }
        _FIXED_LABELS[language] = labels
    return labels


def _stars(n: Any) -> str:
    return _("%(n)s stars") % {"n": n}


def _price_label(index: int) -> str:
    lo, hi = PRICE_BUCKETS[index]
    if lo is None:
        return _("Under %(hi)s ₫") % {"hi": f"{hi:,}".replace(",", ".")}
    if hi is None:
        return _("From %(lo)s ₫") % {"lo": f"{lo:,}".replace(",", ".")}
    return _("%(lo)s – %(hi)s ₫") % {
        "lo": f"{lo:,}".replace(",", "."),
        "hi": f"{hi:,}".replace(",", "."),
    }
