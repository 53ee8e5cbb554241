"""The engine mapping and query bodies, built once with elasticsearch-dsl.

Only built-in analyzers are used (the test nodes carry no analysis-common: no asciifolding,
edge_ngram or synonym filters), so folding and synonyms happen in Python (`search.text`) and
the engines see already-folded text: `standard` tokenises and lowercases, that is all.
Both engine backends send exactly these bodies (Elasticsearch through elasticsearch-py,
OpenSearch as `.to_dict()` through opensearch-py).
"""

import copy
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import lru_cache
from typing import Any

from django.conf import settings
from elasticsearch_dsl import A as Agg
from elasticsearch_dsl import Boolean, Date, Document, Integer, Keyword, Long, Q, Search, Text

from search import ranking
from search.backends.base import (
    COOPERATIVE_FACET_SIZE,
    OPTION_FIELDS,
    PRICE_BUCKETS,
    Query,
    decode_cursor,
)
from search.backends.packed import CERTIFICATIONS, INCOTERMS, pack, unpack
from search.text import FOLDED, ParsedQuery, parse

# elasticsearch_dsl ships no type information: its query objects are Any to mypy.
DslQuery = Any

FACET_FIELDS = {  # facet name -> (field, max buckets): one terms aggregation each
    "category": ("category_path.key", 500),
    "province": ("province_id.key", 100),
    "cooperative": ("cooperative_id.key", COOPERATIVE_FACET_SIZE),
    "pack": ("packs", 50),
    "grade": ("grades", 50),
    "crop_year": ("crop_years", 20),
}
# The small facets (stock, price bucket, OCOP stars, certifications, Incoterms) are counted from
# one packed keyword, `facet_bits` (search/backends/packed.py, as on the database backend): one
# terms aggregation of a few hundred values instead of five aggregations, each of which read
# every hit (at 1,000,000 products a common word's 86,000 hits: 5 x 3-5 ms). Apart, as below,
# only when a match holds more than BITS_SIZE distinct packed values (`bits_overflowed`).
SMALL_FACETS = {
    "certification": ("certifications", 20),
    "ocop_stars": ("ocop_stars.key", 5),
    "in_stock": ("in_stock.key", 2),
    "incoterm": ("incoterms", 10),
}
BITS, BITS_SIZE = "facet_bits", 4096
PACK_SMALL_FACETS = True  # bench/search_latency.py --facets-on-numbers counts them apart


def exact_count_up_to() -> int:
    """settings.SEARCH_EXACT_COUNT_UP_TO: the facets of a match up to this size are counted
    exactly, those of a bigger one over its first this many documents (0 or less: always exactly).
    See `search_requests`."""
    return int(settings.SEARCH_EXACT_COUNT_UP_TO)


# Facet keys arrive as strings from the keyword fields: back to the types the database gives.
FACET_KEYS: dict[str, Callable[[str], Any]] = {
    "category": int,
    "province": int,
    "cooperative": int,
    "ocop_stars": int,
    "in_stock": lambda key: key == "true",
}


def _facet(field: type) -> Any:
    """A number or boolean that is also a facet: a keyword twin (`<field>.key`) for the terms
    aggregation. Terms on a numeric field count every hit into a hash of its values (28,600
    cooperatives at 1,000,000 products: the browse tail); on a keyword they count into an array
    by global ordinal, and a browse of the whole index is counted per segment from the term
    index (Elasticsearch's filter-by-filter terms). Global ordinals are built at refresh
    (eager), not by the first search after each refresh."""
    return field(fields={"key": Keyword(eager_global_ordinals=True)})


def _facet_keyword() -> Any:
    return Keyword(eager_global_ordinals=True)


class ProductDocument(Document):  # type: ignore[misc]  # Document is Any (no types)
    id = Long()
    sku = Keyword()
    name_vi = Keyword(index=False)  # returned by autocomplete; matching uses the fields below
    name_en = Keyword(index=False)
    name_exact = Text(analyzer="standard")
    name_fold = Text(analyzer="standard")
    context_fold = Text(analyzer="standard")
    body_fold = Text(analyzer="standard")
    name_len = Integer()
    orders = Integer()
    category_id = Long()
    category_path = _facet(Long)
    province_id = _facet(Integer)
    cooperative_id = _facet(Long)
    certifications = _facet_keyword()
    ocop_stars = _facet(Integer)
    price_vnd = Long()
    price_max_vnd = Long()
    variant_count = Integer()
    variant_ids = Long()
    packs = _facet_keyword()
    grades = _facet_keyword()
    crop_years = _facet_keyword()
    in_stock = _facet(Boolean)
    incoterms = _facet_keyword()
    export_ready = Boolean()
    facet_bits = _facet_keyword()  # search/backends/packed.py: the small facets in one value
    created = Date()
    doc_hash = Keyword(index=False, doc_values=True)  # read back by search_check's scan only

    class Index:
        name = "products"  # replaced per prefix/version when an index is created

    @classmethod
    def source(cls, doc: dict[str, Any]) -> dict[str, Any]:
        out = {k: doc[k] for k in cls._doc_type.mapping if k in doc}
        out[BITS] = str(
            pack(
                in_stock=doc["in_stock"],
                price_vnd=doc["price_vnd"],
                ocop_stars=doc["ocop_stars"],
                certifications=doc["certifications"],
                incoterms=doc["incoterms"],
            )
        )
        return out


# The index is kept sorted the way a browse without words pages it (`sort_keys`: newest first,
# then the id): a browse then stops comparing hits once its page is full in each segment (it
# still counts them all for the total and facets), where it compared all 1,000,000 by `created`
# and `id` (most of an uncached browse's 100-190 ms at 1,000,000 products).
INDEX_SORT = {"sort.field": ["created", "id"], "sort.order": ["desc", "desc"]}


def _layout() -> dict[str, Any]:
    """What a physical index is built with, apart from its refresh interval while loading."""
    return {
        "settings": {"number_of_shards": 1, "number_of_replicas": 0, **INDEX_SORT},
        # a copy: to_dict() shares nested dicts with the mapping object, and callers edit theirs
        "mappings": copy.deepcopy(ProductDocument._doc_type.mapping.to_dict()),
    }


def layout_fingerprint() -> str:
    """A short hash of the settings and mappings this code builds indices with. Stored in each
    new index's mapping `_meta`, so an index built by older code (a field or facet twin it lacks)
    is seen (`ElasticBackend.outdated`) instead of answering empty facets until someone reindexes."""
    # the packing of `facet_bits` is part of the layout: a new certification kind or Incoterm
    # moves the bits (search/backends/packed.py)
    layout = {**_layout(), "facet_bits": [CERTIFICATIONS, INCOTERMS, PRICE_BUCKETS]}
    raw = json.dumps(layout, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def index_body(*, loading: bool = False) -> dict[str, Any]:
    """Settings and mappings for a new physical index (single node: no replicas)."""
    body = _layout()
    body["settings"]["refresh_interval"] = "-1" if loading else "1s"
    body["mappings"]["_meta"] = {"layout": layout_fingerprint()}
    return body


_FIELDS = {"name": "name_fold", "context": "context_fold", "body": "body_fold"}


def _alternative(kind: str, phrase: tuple[str, ...], fields: tuple[str, ...]) -> DslQuery:
    """Typed words (adjacent) in one of `fields`, or a synonym / exact word in the name as
    written ("sắn" there, not every "sản")."""
    if kind != FOLDED:
        return Q("match_phrase", name_exact=" ".join(phrase))
    names = [_FIELDS[f] for f in fields]
    if len(names) == 1:
        return Q("match_phrase", **{names[0]: " ".join(phrase)})
    return Q("multi_match", query=" ".join(phrase), type="phrase", fields=names)


def _any(clause: Iterable[tuple[str, tuple[str, ...]]], fields: tuple[str, ...]) -> DslQuery:
    return Q("bool", should=[_alternative(k, a, fields) for k, a in clause], minimum_should_match=1)


def _all(
    clauses: Iterable[Iterable[tuple[str, tuple[str, ...]]]], fields: tuple[str, ...]
) -> DslQuery:
    return Q("bool", filter=[_any(c, fields) for c in clauses])


def text_query(q: str, parsed: ParsedQuery, plan: ranking.Plan | None = None) -> DslQuery:
    """Recall as a filter (no score), the rank signals of search/ranking.py as constant
    scores: the score of a hit is exactly the sum of the signals it meets, as on the database.
    `plan` is the backend's (a common word narrowed to the names), else the full recall."""
    plan = plan or ranking.plan(q, parsed)
    should = [Q("constant_score", filter=Q("term", sku=plan.sku), boost=ranking.SKU)]
    should += [
        Q("constant_score", filter=_all(signal.clauses, signal.fields), boost=signal.weight)
        for signal in plan.signals
    ]
    recall = Q("bool", filter=[_any(c, plan.fields_of(i)) for i, c in enumerate(plan.recall)])
    return Q("bool", filter=[recall], should=should)


def filters(query: Query) -> list[DslQuery]:
    out = []
    if query.category is not None:
        out.append(Q("term", category_path=query.category))
    for name in ("province", "cooperative"):
        if (value := getattr(query, name)) is not None:
            out.append(Q("term", **{f"{name}_id": value}))
    if query.certification:
        out.append(Q("term", certifications=query.certification))
    if query.ocop_stars is not None:
        out.append(Q("range", ocop_stars={"gte": query.ocop_stars}))
    price = {k: v for k, v in (("gte", query.price_min), ("lte", query.price_max)) if v is not None}
    if price:
        out.append(Q("range", price_vnd=price))
    for name in ("in_stock", "export_ready"):
        if (value := getattr(query, name)) is not None:
            out.append(Q("term", **{name: value}))
    if query.incoterm:
        out.append(Q("term", incoterms=query.incoterm))
    for name, field in OPTION_FIELDS.items():
        if value := getattr(query, name):
            out.append(Q("term", **{field: value}))
    return out


def sort_keys(query: Query, parsed: ParsedQuery) -> list[dict[str, Any]]:
    if query.sort == "price_asc":
        return [{"price_vnd": {"order": "asc", "missing": "_last"}}, {"id": "asc"}]
    if query.sort == "price_desc":
        return [{"price_vnd": {"order": "desc", "missing": "_last"}}, {"id": "desc"}]
    if query.sort == "newest" or parsed.empty:
        return [{"created": "desc"}, {"id": "desc"}]
    return [  # search/ranking.py: the score, then the same tie-breaks as the database
        {"_score": "desc"},
        {"name_len": "asc"},
        {"orders": "desc"},
        {"created": "desc"},
        {"id": "desc"},
    ]


def build_search(
    query: Query, plan: ranking.Plan | None = None, *, packed: bool | None = None
) -> Search:
    parsed = query.parsed
    s = Search().extra(track_total_hits=True).source(False)
    main = text_query(query.q, parsed, plan) if not parsed.empty else Q("match_all")
    s = s.query(Q("bool", must=[main], filter=filters(query)))
    s = s.sort(*sort_keys(query, parsed))
    values = sort_after(query)
    if values is not None:
        s = s.extra(search_after=values, size=query.size)
    else:
        s = s.extra(**{"from": query.offset, "size": query.size})
    if query.facets:
        for name, (field, size) in FACET_FIELDS.items():
            s.aggs.bucket(name, Agg("terms", field=field, size=size))
        if PACK_SMALL_FACETS if packed is None else packed:
            s.aggs.bucket(BITS, Agg("terms", field=BITS, size=BITS_SIZE))
            return s
        for name, (field, size) in SMALL_FACETS.items():
            s.aggs.bucket(name, Agg("terms", field=field, size=size))
        ranges = [
            {k: v for k, v in (("key", str(i)), ("from", lo), ("to", hi)) if v is not None}
            for i, (lo, hi) in enumerate(PRICE_BUCKETS)
        ]
        s.aggs.bucket("price", Agg("range", field="price_vnd", ranges=ranges))
    return s


# A cursor whose last hit came from the part of a windowed match after its rank window (the
# rest, `window_requests`) ends with this value after the hit's sort values.
REST = "rest"


def cursor_parts(query: Query) -> tuple[list[Any] | None, bool]:
    """The sort values a cursor continues after, and whether it points into the rest of a
    windowed match (its last value REST)."""
    values = decode_cursor(query.cursor) if query.cursor else None
    if values and values[-1] == REST:
        return values[:-1] or None, True
    return values, False


def sort_after(query: Query) -> list[Any] | None:
    """`search_after` of a page without a rank window: a cursor's sort values, its REST mark
    dropped (a match windowed when the cursor was made and not now: its order goes on)."""
    return cursor_parts(query)[0]


# The rank window of a big match (docs/search.md "Ranking", as the database backends'
# `_windowed`): the newest `rank_window()` documents with every word of the query in the name,
# newest in the index's own order (INDEX_SORT: `created`, then `id`), so finding the last of
# them stops after that many matches in each segment (2-4 ms at 1,000,000 products).
WINDOW_ORDER = [{"created": "desc"}, {"id": "desc"}]


def window_bound_body(query: Query, plan: ranking.Plan, size: int) -> dict[str, Any]:
    """The `size`-th newest document (within the query's filters) with every word of `plan` in
    the name: its sort values (created, id) bound the window; no hit: fewer name matches."""
    return {
        "query": {"bool": {"filter": [_names_body(plan.recall), *_filters_body(query)]}},
        "sort": WINDOW_ORDER,
        "from": size - 1,
        "size": 1,
        "track_total_hits": False,
        "_source": False,
    }


def window_bound_bodies(query: Query, plan: ranking.Plan, size: int) -> list[dict[str, Any]]:
    """`window_bound_body`, and for a query with a digit (it may be a SKU, which outranks the
    name: then no window) the count of the documents with that SKU."""
    bodies = [window_bound_body(query, plan, size)]
    if any(c.isdigit() for c in plan.sku):
        bodies.append({"query": {"term": {"sku": plan.sku}}, "size": 0, "track_total_hits": 1})
    return bodies


def in_window(plan: ranking.Plan, bound: list[Any]) -> dict[str, Any]:
    """The window's documents: every word in the name, and at or before `bound` (the sort
    values of its last document) in the window's order."""
    created, last = bound
    millis = {"format": "epoch_millis"}
    newer = {"range": {"created": {"gt": created, **millis}}}
    same = {
        "bool": {
            "filter": [
                {"range": {"created": {"gte": created, "lte": created, **millis}}},
                {"range": {"id": {"gte": last}}},
            ]
        }
    }
    return {
        "bool": {
            "filter": [
                _names_body(plan.recall),
                {"bool": {"should": [newer, same], "minimum_should_match": 1}},
            ]
        }
    }


def window_requests(
    query: Query,
    plan: ranking.Plan,
    bound: list[Any],
    size: int,
    *,
    packed: bool | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """The bodies of a windowed search's `_msearch` and what its first ones are ("window" or
    REST: the page's parts, in order; the bodies after them count): the page's
    part in the window (ranked by the same signals, the recall implied: every window document
    has every word in the name), then the part after the window when the page reaches past it
    (the rest of the match, ranked in full), then the total and facets over the whole match
    (`search_requests`' facet bodies, the first counting the total; without facets one count).
    A cursor continues in the window (then, if the window runs out, `rest_request`) or, marked
    REST, in the rest. `size`: the window's size (`bound` is its last document)."""
    values, rest_cursor = cursor_parts(query)
    window = in_window(plan, bound)
    signals = window_signals(plan)
    keys = sort_keys(query, query.parsed)
    found = _filters_body(query)
    pages: list[dict[str, Any]] = []
    parts: list[str] = []
    if not rest_cursor:
        page: dict[str, Any] = {
            "query": {"bool": {"filter": [window, *found], "should": signals}},
            "sort": keys,
            "track_total_hits": False,
            "_source": False,
        }
        if values is not None:
            pages.append({**page, "search_after": values, "size": query.size})
            parts.append("window")
        elif query.offset < size:
            pages.append(
                {**page, "from": query.offset, "size": min(query.size, size - query.offset)}
            )
            parts.append("window")
    if rest_cursor or (values is None and query.offset + query.size > size):
        taken = 0 if rest_cursor else max(0, min(query.size, size - query.offset))
        after = {"search_after": values} if rest_cursor else {"from": max(0, query.offset - size)}
        pages.append(rest_body(query, plan, window, query.size - taken, after))
        parts.append(REST)
    counts = search_requests(replace(query, cursor=None, page=1), plan, packed=packed)
    if query.facets and len(counts) > 1:
        extra = counts[1:]
        extra[0] = {**extra[0], "track_total_hits": True}
    else:  # no facets: the total alone
        extra = [{"query": counts[0]["query"], "size": 0, "track_total_hits": True}]
    return pages + extra, parts


@lru_cache(maxsize=1024)
def window_signals(plan: ranking.Plan) -> list[dict[str, Any]]:
    """The rank clauses of `text_query` for a window's documents, which have every clause in
    the name: a signal that tests only some of those clauses in the name (every word, a
    word's name share) is true on each of them, so its weight is one constant clause instead
    of a test per document (as the database backends' `_in_every_windowed_row`): the same
    scores. "CÀ PHÊ ĐẮK LẮK": 4 of its 11 clauses, two of them the phrase "ca phe"."""
    should = [Q("constant_score", filter=Q("term", sku=plan.sku), boost=ranking.SKU).to_dict()]
    implied = 0.0
    for signal in plan.signals:
        if signal.fields == ranking.NAME and set(signal.clauses) <= set(plan.recall):
            implied += signal.weight
            continue
        clause = Q(
            "constant_score", filter=_all(signal.clauses, signal.fields), boost=signal.weight
        )
        should.append(clause.to_dict())
    if implied:
        should.append({"constant_score": {"filter": {"match_all": {}}, "boost": implied}})
    return should


def rest_body(
    query: Query, plan: ranking.Plan, window: dict[str, Any], size: int, at: dict[str, Any]
) -> dict[str, Any]:
    """A page of the match outside its rank window, ranked in full; `at`: `from` or
    `search_after`."""
    clauses: dict[str, Any] = {"must": [_text_body(query.q, plan)], "must_not": [window]}
    if found := _filters_body(query):
        clauses["filter"] = found
    return {
        "query": {"bool": clauses},
        "sort": sort_keys(query, query.parsed),
        "track_total_hits": False,
        "_source": False,
        "size": size,
        **at,
    }


def _filters_body(query: Query) -> list[dict[str, Any]]:
    return [f.to_dict() for f in filters(query)]


@lru_cache(maxsize=1024)
def _names_body(recall: tuple[ranking.Clause, ...]) -> dict[str, Any]:
    """Every clause of `recall` in the name (folded words in `name_fold`, synonyms and words
    with their diacritics in `name_exact`)."""
    return _all(recall, ranking.NAME).to_dict()  # type: ignore[no-any-return]


def bits_overflowed(answer: dict[str, Any]) -> bool:
    """Whether the packed small facets of an answer left values out (more than BITS_SIZE
    distinct packed values in the match): then they are counted apart (`packed=False`)."""
    bits = answer.get("aggregations", {}).get(BITS)
    return bool(bits and bits.get("sum_other_doc_count"))


def search_body(
    query: Query, plan: ranking.Plan | None = None, *, packed: bool | None = None
) -> dict[str, Any]:
    """`build_search(query, plan).to_dict()` (equal, `test_search_body_is_the_built_search`), from
    parts built once: building the body with elasticsearch-dsl took 1-2 ms a request, most of
    it the eleven facet aggregations (the same in every request) and the rank clauses (the
    same for every request with the same words). The shared parts are never modified: a body
    is only serialised."""
    parsed = query.parsed
    main = _text_body(query.q, plan) if not parsed.empty else {"match_all": {}}
    clauses: dict[str, Any] = {"must": [main]}
    if found := filters(query):
        clauses["filter"] = [f.to_dict() for f in found]
    body: dict[str, Any] = {"query": {"bool": clauses}}
    if query.facets:
        body["aggs"] = _aggs_body(
            tuple(FACET_FIELDS.items()),
            tuple(SMALL_FACETS.items()),
            PACK_SMALL_FACETS if packed is None else packed,
            BITS_SIZE,
        )
    body["sort"] = sort_keys(query, parsed)
    body["track_total_hits"] = True
    values = sort_after(query)
    if values is not None:
        body["search_after"] = values
    else:
        body["from"] = query.offset
    body["size"] = query.size
    body["_source"] = False
    return body


# The facets a big match counts over its newest `exact_count_up_to()` matches only
# (`search_requests`): those with many values, which cost most to count (at 1,000,000
# products 28,990 cooperatives; the category is counted with its ancestors, several values per
# document) and which list only their largest values anyway (COOPERATIVE_FACET_SIZE). Every
# other facet (province, options, the packed small facets: stock, price, OCOP stars,
# certifications, Incoterms) is counted over the whole match, so a value that only older
# products hold is offered with its exact count.
SAMPLED_FACETS = ("category", "cooperative")


def search_requests(
    query: Query,
    plan: ranking.Plan | None = None,
    *,
    packed: bool | None = None,
    up_to: int | None = None,
    known_total: int | None = None,
) -> list[dict[str, Any]]:
    """The bodies a search sends in one `_msearch` (the engine runs them side by side): the page
    and its exact total; then, when it asks for facets, the facet counts on their own (size 0):
    the SAMPLED_FACETS stopped after the first `up_to` matches (`terminate_after`, default
    `exact_count_up_to()`; 0 or less: not stopped), every other facet over the whole match.
    A match known to be small (`known_total`, the total an earlier answer gave for the same
    words, plan and filters, at most `up_to`) is one body instead: the page with its facet
    aggregations inline, exactly `search_body` (its counts are exact either way; requests
    side by side each evaluate the same query, which costs more than it saves when every
    match is small: engine-alone p95 at 100,000 products 5.1 -> 8.2-13.3 ms with two).

    Ranking a page has to score every match and counting its facets has to read every match:
    in one request the engine does both one after the other, over the same 86,000 matches of a
    common word at 1,000,000 products. Apart, they run at once, and the large facets of a big
    match stop at `up_to` documents: the first in the index's order, the newest (INDEX_SORT),
    whose counts `scaled_facets` extrapolates to the whole match. A match of up to `up_to`
    documents is counted whole: its facets are exactly those of `search_body`."""
    body = search_body(query, plan, packed=packed)
    up_to = exact_count_up_to() if up_to is None else up_to
    if "aggs" in body and known_total is not None and 0 <= known_total <= up_to:
        return [body]  # a small match: page and facets in one request (exact)
    aggs = body.pop("aggs", None)
    if aggs is None:
        return [body]

    def facets(names: Iterable[str], stop: bool) -> dict[str, Any]:
        out = {"query": body["query"], "size": 0, "aggs": {n: aggs[n] for n in names}}
        out["track_total_hits"] = False  # the page's request counts the match
        if stop:
            out["terminate_after"] = up_to
        return out

    if up_to <= 0:
        return [body, facets(aggs, False)]
    whole = [n for n in aggs if n not in SAMPLED_FACETS]
    return [body, facets(whole, False), facets(SAMPLED_FACETS, True)]


# Names first: the aggregation that counts the whole match of a one-request search whose hits
# are only the candidates (`names_first`, a `post_filter`).
MATCHES = "matches"


def candidates(plan: ranking.Plan) -> dict[str, Any]:
    """The matches that rank above every other match (search/ranking.py): every clause in the
    name (NAME_ALL, 32, which the phrase, typed-words and diacritics signals imply), or the
    query as a SKU (256). Every other match scores at most 16 + 8 + 4 + 2 = 30 (the words
    typed or with their diacritics in the name but not each clause, and the shares)."""
    return {
        "bool": {
            "should": [_names_body(plan.recall), {"term": {"sku": plan.sku}}],
            "minimum_should_match": 1,
        }
    }


def names_first(bodies: list[dict[str, Any]], plan: ranking.Plan) -> list[dict[str, Any]]:
    """`search_requests`' bodies with the page ranked among the candidates only (the name
    matches, `candidates`): the first that many places of the full ranking are theirs, in the
    same order, so a page the candidates fill is the full ranking's page, and only the
    candidates are scored (a multi-word match at 1,000,000 products: 7,000 matches, a few
    hundred name matches). The page's total is then the candidates' count, and the whole
    match is counted beside it: by the facet request (side by side), by an aggregation
    (MATCHES; one request: the candidates are a `post_filter`, after the facets are counted),
    or by a count body (a search without facets). A page that the candidates do not fill is
    ranked in full after (`EngineBackend._run`)."""
    page, *rest = bodies
    chosen = candidates(plan)
    if not rest and "aggs" in page:
        return [
            {
                **page,
                "post_filter": chosen,
                "aggs": {**page["aggs"], MATCHES: {"filter": {"match_all": {}}}},
            }
        ]
    counted = total_apart(bodies)[1:]
    clauses = page["query"]["bool"]
    narrowed = {"bool": {**clauses, "filter": [*clauses.get("filter", []), chosen]}}
    return [{**page, "query": narrowed}, *counted]


def total_apart(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`search_requests`' bodies with the match counted beside the page, not by it: by the
    first facet request (side by side), or by a count body. A page sorted on a field (price,
    newest) that does not count every match lets the engine skip the matches that cannot
    reach it (Lucene's sort on points; the newest: the index's order): "trai" by price at
    1,000,000 products (117,000 matches), 8.6 -> 4.8 ms; the count alone sorts nothing."""
    page, *rest = bodies
    if rest:
        counted = [{**rest[0], "track_total_hits": True}, *rest[1:]]
    else:
        counted = [{"query": page["query"], "size": 0, "track_total_hits": True}]
    return [{**page, "track_total_hits": False}, *counted]


def page_body(query: Query, plan: ranking.Plan | None) -> dict[str, Any]:
    """The page alone, ranked over the whole match, without its total."""
    body = search_body(query, plan)
    body.pop("aggs", None)
    return {**body, "track_total_hits": False}


def facets_counted(answer: dict[str, Any], total: int, up_to: int | None = None) -> int:
    """How many matches the facets of a facet request's `answer` were counted over: all
    `total`, or the first `up_to` when the engine stopped there."""
    up_to = exact_count_up_to() if up_to is None else up_to
    return min(up_to, total) if answer.get("terminated_early") else total


def read_facet_answers(
    answers: list[dict[str, Any]], total: int
) -> tuple[dict[str, dict[Any, int]], frozenset[str]]:
    """The facets of a search's facet `answers` (`search_requests` after the page), and the
    names of those that are estimates: the facets of an answer the engine stopped early,
    extrapolated to the `total` (`scaled_facets`); the others are exact."""
    aggs: dict[str, Any] = {}
    for answer in answers:
        aggs.update(answer.get("aggregations", {}))
    facets = read_facets(aggs)
    estimated: set[str] = set()
    for answer in answers:
        counted = facets_counted(answer, total)
        if counted < total:  # the facets of its first `counted` matches, extrapolated
            names = set(answer.get("aggregations", {}))
            part = scaled_facets({n: facets[n] for n in names if n in facets}, counted, total)
            facets.update(part)
            estimated |= set(part)
    return facets, frozenset(estimated)


def scaled_facets(
    facets: dict[str, dict[Any, int]], counted: int, total: int
) -> dict[str, dict[Any, int]]:
    """Facet counts of `counted` matches extrapolated to all `total`: each value's share of
    those times the total (at least 1: the value is in the match)."""
    if counted <= 0 or counted >= total:
        return facets
    ratio = total / counted
    return {
        name: {value: max(1, round(n * ratio)) for value, n in values.items()}
        for name, values in facets.items()
    }


@lru_cache(maxsize=1024)
def _text_body(q: str, plan: ranking.Plan | None) -> dict[str, Any]:
    """The recall and rank clauses of the words `q` (a pure function of the text and the
    backend's plan: a common word narrowed to the names, or None)."""
    return text_query(q, parse(q), plan).to_dict()  # type: ignore[no-any-return]


@lru_cache(maxsize=4)
def _aggs_body(
    fields: tuple[tuple[str, tuple[str, int]], ...],
    small: tuple[tuple[str, tuple[str, int]], ...],
    packed: bool,
    bits_size: int,
) -> dict[str, Any]:
    """The facet aggregations of `build_search` (the arguments: FACET_FIELDS, SMALL_FACETS,
    whether those are packed and BITS_SIZE, the cache key)."""
    aggs = build_search(Query(q="", facets=True), packed=packed).to_dict()["aggs"]
    return aggs  # type: ignore[no-any-return]


def request_params(query: Query) -> dict[str, Any]:
    """Query-string parameters of the search request. A browse without words (the landing and
    category pages) asks for the shard request cache: the engine keeps its page and facet counts
    per request body (filters, page, sort) until a refresh that changed the index, as the
    database backend keeps a browse's facets until the next index write. At 1,000,000 products
    a browse sorts and counts the whole index (about 100 ms). Searches with words are not
    cached (like the database backend with its facet cache at 0): said explicitly, because the
    engine would cache their facet request (size 0, `search_requests`) by default."""
    if query.parsed.empty and not query.cursor:
        return {"request_cache": True}
    return {"request_cache": False}


def read_facets(aggs: dict[str, Any]) -> dict[str, dict[Any, int]]:
    facets: dict[str, dict[Any, int]] = {}
    for name in (*FACET_FIELDS, *SMALL_FACETS):
        buckets = aggs.get(name, {}).get("buckets", [])
        values: dict[Any, int] = {}
        convert = FACET_KEYS.get(name)
        for b in buckets:
            values[convert(b["key"]) if convert else b["key"]] = b["doc_count"]
        facets[name] = values
    if "price" in aggs:
        facets["price"] = {
            int(b["key"]): b["doc_count"] for b in aggs["price"]["buckets"] if b["doc_count"]
        }
    if BITS in aggs:  # the small facets, unpacked (the database backend's `_tally`)
        facets["price"] = {}
        for b in aggs[BITS]["buckets"]:
            for facet, value in unpack(int(b["key"])):
                facets[facet][value] = facets[facet].get(value, 0) + b["doc_count"]
    # Categories deleted since indexing are dropped where the facets are labelled
    # (search.selectors), as on the database backend: no query of its own here.
    return facets


def share_search(term: str) -> dict[str, Any]:
    """A count body: the documents with `term` in their name (folded or as written), context
    or description (the database backend's document frequency of a term: the common words,
    and the rank window's size test, whose synonyms are words as written)."""
    fields = ("name_fold", "context_fold", "body_fold", "name_exact")
    return {
        "query": {
            "bool": {"should": [{"term": {f: term}} for f in fields], "minimum_should_match": 1}
        }
    }


def suggest_search(tokens: list[str], limit: int) -> Search:
    q = Q("match_phrase_prefix", name_fold={"query": " ".join(tokens), "max_expansions": 50})
    return Search().query(q).source(["name_vi"]).extra(size=limit * 3)


def word_search(token: str) -> Search:
    """Indexed words close to `token`, from the term suggester over names and context: it
    works on short syllables (3+ letters, any position) where query fuzziness would not."""
    s = Search().extra(size=0)
    for field in ("name_fold", "context_fold"):
        s = s.suggest(
            field,
            token,
            term={
                "field": field,
                "suggest_mode": "always",
                "min_word_length": 3,
                "prefix_length": 0,
                "max_edits": 1 if len(token) <= 5 else 2,
                "size": 10,
                "sort": "score",
            },
        )
    return s
