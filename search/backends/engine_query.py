"""The engine mapping and query bodies, built once with elasticsearch-dsl.

Only built-in analyzers are used (the test nodes carry no analysis-common: no asciifolding,
edge_ngram or synonym filters), so folding and synonyms happen in Python (`search.text`) and
the engines see already-folded text: `standard` tokenises and lowercases, that is all.
Both engine backends send exactly these bodies (Elasticsearch through elasticsearch-py,
OpenSearch as `.to_dict()` through opensearch-py).
"""

from elasticsearch_dsl import A as Agg
from elasticsearch_dsl import Boolean, Date, Document, Integer, Keyword, Long, Q, Search, Text

from catalog.models import Category
from search.backends.base import OPTION_FIELDS, PRICE_BUCKETS, Query, decode_cursor
from search.text import EXACT, ParsedQuery

FACET_FIELDS = {  # facet name -> (field, max buckets)
    "category": ("category_path", 500),
    "province": ("province_id", 100),
    "cooperative": ("cooperative_id", 20),
    "certification": ("certifications", 20),
    "ocop_stars": ("ocop_stars", 5),
    "in_stock": ("in_stock", 2),
    "incoterm": ("incoterms", 10),
    "pack": ("packs", 50),
    "grade": ("grades", 50),
    "crop_year": ("crop_years", 20),
}


class ProductDocument(Document):
    id = Long()
    name_vi = Keyword(index=False)  # returned by autocomplete; matching uses the fields below
    name_en = Keyword(index=False)
    name_exact = Text(analyzer="standard")
    name_fold = Text(analyzer="standard")
    body_fold = Text(analyzer="standard")
    category_id = Long()
    category_path = Long()
    province_id = Integer()
    cooperative_id = Long()
    certifications = Keyword()
    ocop_stars = Integer()
    price_vnd = Long()
    price_max_vnd = Long()
    variant_count = Integer()
    variant_ids = Long()
    packs = Keyword()
    grades = Keyword()
    crop_years = Keyword()
    in_stock = Boolean()
    incoterms = Keyword()
    export_ready = Boolean()
    created = Date()
    doc_hash = Keyword(index=False, doc_values=True)  # read back by search_check's scan only

    class Index:
        name = "products"  # replaced per prefix/version when an index is created

    @classmethod
    def source(cls, doc: dict) -> dict:
        return {k: doc[k] for k in cls._doc_type.mapping if k in doc}


def index_body(*, loading: bool = False) -> dict:
    """Settings and mappings for a new physical index (single node: no replicas)."""
    return {
        "settings": {
            "number_of_shards": 1,
            "number_of_replicas": 0,
            "refresh_interval": "-1" if loading else "1s",
        },
        "mappings": ProductDocument._doc_type.mapping.to_dict(),
    }


def _alternative(kind: str, phrase: tuple[str, ...]):
    if kind == EXACT:  # a synonym: matched on the names as written ("sắn", not every "sản")
        return Q("match_phrase", name_exact=" ".join(phrase))
    fields = ["name_fold^3", "body_fold"]
    if len(phrase) > 1:
        return Q("multi_match", query=" ".join(phrase), type="phrase", fields=fields)
    token = phrase[0]
    if (
        len(token) >= 5 and not token.isdigit()
    ):  # typos only on longer words: short syllables are too close
        return Q(
            "multi_match",
            query=token,
            fields=fields,
            fuzziness="AUTO:5,8",
            prefix_length=1,
            max_expansions=20,
        )
    return Q("multi_match", query=token, fields=fields)


def text_query(parsed: ParsedQuery):
    must = [
        Q("bool", should=[_alternative(k, a) for k, a in clause], minimum_should_match=1)
        for clause in parsed.clauses
    ]
    should = []
    if len(parsed.folded) > 1:
        should.append(Q("match_phrase", name_fold={"query": " ".join(parsed.folded), "boost": 3}))
    if parsed.has_diacritics:  # exact-diacritic matches above folded ones
        should.append(Q("match", name_exact={"query": " ".join(parsed.exact), "boost": 2}))
    return Q("bool", must=must, should=should)


def filters(query: Query) -> list:
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


def sort_keys(query: Query, parsed: ParsedQuery) -> list:
    if query.sort == "price_asc":
        return [{"price_vnd": {"order": "asc", "missing": "_last"}}, {"id": "asc"}]
    if query.sort == "price_desc":
        return [{"price_vnd": {"order": "desc", "missing": "_last"}}, {"id": "desc"}]
    if query.sort == "newest" or parsed.empty:
        return [{"created": "desc"}, {"id": "desc"}]
    return [{"_score": "desc"}, {"id": "asc"}]


def build_search(query: Query) -> Search:
    parsed = query.parsed
    s = Search().extra(track_total_hits=True).source(False)
    main = text_query(parsed) if not parsed.empty else Q("match_all")
    s = s.query(Q("bool", must=[main], filter=filters(query)))
    s = s.sort(*sort_keys(query, parsed))
    values = decode_cursor(query.cursor) if query.cursor else None
    if values is not None:
        s = s.extra(search_after=values, size=query.size)
    else:
        s = s.extra(**{"from": query.offset, "size": query.size})
    if query.facets:
        for name, (field, size) in FACET_FIELDS.items():
            s.aggs.bucket(name, Agg("terms", field=field, size=size))
        ranges = [
            {k: v for k, v in (("key", str(i)), ("from", lo), ("to", hi)) if v is not None}
            for i, (lo, hi) in enumerate(PRICE_BUCKETS)
        ]
        s.aggs.bucket("price", Agg("range", field="price_vnd", ranges=ranges))
    return s


def read_facets(aggs: dict) -> dict:
    facets = {}
    for name in FACET_FIELDS:
        buckets = aggs.get(name, {}).get("buckets", [])
        values = {}
        for b in buckets:
            key = b["key"]
            if name == "in_stock":
                key = bool(key)
            values[key] = b["doc_count"]
        facets[name] = values
    if "price" in aggs:
        facets["price"] = {
            int(b["key"]): b["doc_count"] for b in aggs["price"]["buckets"] if b["doc_count"]
        }
    if facets.get("category"):
        known = set(
            Category.objects.filter(pk__in=list(facets["category"])).values_list("pk", flat=True)
        )
        facets["category"] = {k: v for k, v in facets["category"].items() if k in known}
    return facets


def suggest_search(tokens: list[str], limit: int) -> Search:
    q = Q("match_phrase_prefix", name_fold={"query": " ".join(tokens), "max_expansions": 50})
    return Search().query(q).source(["name_vi"]).extra(size=limit * 3)
