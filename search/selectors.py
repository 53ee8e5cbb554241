"""Reads: product search and autocomplete for buyers (anyone may search the public catalog).

`product_search()` is what the API and the server-rendered pages call. The index only chooses
and orders product family ids (one document per family); everything shown (price range, stock,
names, variants) is read fresh from the database, and a family with no purchasable variant left
is dropped even if the index has not caught up yet.
"""

import logging
from dataclasses import dataclass, field

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from catalog.models import Category, Certification, ProductFamily
from catalog.selectors import family_for_card, family_list_purchasable
from market.models import Cooperative, Province
from search.backends import Query, get_backend
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

log = logging.getLogger("htx.search")

FACET_LIMIT = {
    "cooperative": 20,
    "category": 200,
    "province": 50,
    "pack": 50,
    "grade": 50,
    "crop_year": 20,
}
INCOTERMS = ("EXW", "FCA", "FOB", "CFR", "CIF", "DAP", "DDP")


@dataclass
class ProductSearchPage:
    results: list[ProductFamily]  # each with `shown_variants`, `price_min_vnd`, `variant`...
    total: int
    page: int
    size: int
    facets: dict[str, list[dict]] = field(default_factory=dict)
    suggestions: list[str] = field(default_factory=list)
    next_cursor: str | None = None


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
    for name, model in (
        ("category", Category),
        ("province", Province),
        ("cooperative", Cooperative),
    ):
        value = getattr(query, name)
        if value is not None and not model.objects.filter(pk=value).exists():
            errors[name] = [_("Unknown value.")]
    if errors:
        raise InvalidSearch(fields=errors)
    if not query.cursor and query.page * query.size > MAX_WINDOW:
        raise PageTooDeep()
    return query


def product_search(query: Query) -> ProductSearchPage:
    """Search purchasable products; results hydrated from the database in index order.
    Raises InvalidSearch, PageTooDeep (400) or SearchUnavailable (503: the engine is down)."""
    validate_query(query)
    try:
        result = get_backend().search(query)
    except BackendUnavailable:
        log.exception("search backend unavailable")
        raise SearchUnavailable() from None
    products = _hydrate(result.ids)
    parsed = parse(query.q)
    for product in products:  # a family
        product.highlight = {
            "name_vi": highlight(product.name_vi, parsed),
            "name_en": highlight(product.name_en, parsed),
        }
    return ProductSearchPage(
        results=products,
        total=result.total,
        page=query.page,
        size=query.size,
        facets=_label_facets(result.facets, query),
        suggestions=result.suggestions,
        next_cursor=result.next_cursor,
    )


def product_suggest(prefix: str, limit: int = 8) -> list[str]:
    """Product names for an autocomplete box. Raises SearchUnavailable."""
    if not (prefix or "").strip():
        return []
    try:
        return get_backend().suggest(prefix, limit=limit)
    except BackendUnavailable:
        log.exception("search backend unavailable")
        raise SearchUnavailable() from None


def _hydrate(ids: list[int]) -> list[ProductFamily]:
    """Families in index order with their purchasable variants (fresh prices and stock); the
    card shows the cheapest variant (`variant`), the price range and how many there are."""
    if not ids:
        return []
    rows = family_list_purchasable().filter(pk__in=ids).order_by()
    by_id = {f.pk: f for f in rows if family_for_card(f)}
    return [by_id[i] for i in ids if i in by_id]


def _label_facets(facets: dict, query: Query) -> dict[str, list[dict]]:
    english = (get_language() or "vi").startswith("en")
    labels = {
        "category": lambda ids: {
            pk: en if english and en else vi
            for pk, vi, en in Category.objects.filter(pk__in=ids)
            .order_by()
            .values_list("pk", "name_vi", "name_en")
        },
        "province": lambda ids: dict(
            Province.objects.filter(pk__in=ids).order_by().values_list("pk", "name")
        ),
        "cooperative": lambda ids: {
            pk: trading or legal
            for pk, legal, trading in Cooperative.objects.filter(pk__in=ids)
            .order_by()
            .values_list("pk", "legal_name", "trading_name")
        },
        "certification": lambda ids: dict(Certification.Kind.choices),
        "ocop_stars": lambda ids: {s: _("%(n)s stars") % {"n": s} for s in ids},
        "price": lambda ids: {i: _price_label(i) for i in ids},
        "in_stock": lambda ids: {True: _("In stock"), False: _("Out of stock")},
        "incoterm": lambda ids: {i: i for i in ids},
        "pack": lambda ids: {i: i for i in ids},
        "grade": lambda ids: {i: i for i in ids},
        "crop_year": lambda ids: {i: i for i in ids},
    }
    out = {}
    for name, counts in facets.items():
        if len(counts) > FACET_LIMIT.get(name, 1000):  # the long tail is not shown, so not labelled
            counts = dict(
                sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))[: FACET_LIMIT[name]]
            )
        names = labels[name](list(counts))
        values = [
            {"value": v, "label": str(names.get(v, v)), "count": n}
            for v, n in counts.items()
            if v in names
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
