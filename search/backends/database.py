"""The embedded default: SQLite FTS5 or PostgreSQL full text over `SearchDocument`.

Both vendors share the table, the filters, the facet aggregation and paging; only the text
match and its rank differ (`_SqliteText`, `_PostgresText`). Text queries are built from folded
tokens (letters and digits only), so no operator a buyer types can reach the SQL or FTS syntax.
"""

import difflib
import hashlib
import json
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

from catalog.models import Category
from search.backends.base import (
    FACETS,
    OPTION_FIELDS,
    Query,
    SearchBackend,
    SearchResult,
    decode_cursor,
    encode_cursor,
)
from search.backends.packed import pack, unpack
from search.models import SearchDocument
from search.text import EXACT, FOLDED, ParsedQuery, parse, tokens

TABLE = SearchDocument._meta.db_table
GENERATION_KEY = "search:index-generation"
VOCAB_TTL = 300  # seconds a cached vocabulary (for "did you mean") stays fresh


def _fts_phrase(phrase: tuple[str, ...]) -> str:
    return '"' + " ".join(phrase) + '"'


def _fts_alternative(kind: str, phrase: tuple[str, ...]) -> str:
    columns = "{name_fold body_fold}" if kind == FOLDED else "{name_exact}"
    return f"({columns} : {_fts_phrase(phrase)})"


class _SqliteText:
    """FTS5. The rank is bm25 of `(A) AND ((A) OR phrase OR exact)`: A's matches, with extra
    score for the adjacent phrase in the name and for tokens typed with their exact diacritics.
    bm25 is a sum over the query's phrases, so that equals 2 x bm25(A) + bm25(phrase OR exact),
    which is how it is computed: matching A twice in one expression cost twice the time."""

    join = "JOIN search_fts f ON f.rowid = d.product_id"
    weights = "10.0, 1.0, 20.0"  # name_fold, body_fold, name_exact

    def match(self, parsed: ParsedQuery) -> tuple[str, list, str]:
        clauses = " AND ".join(
            "(" + " OR ".join(_fts_alternative(k, a) for k, a in c) + ")" for c in parsed.clauses
        )
        if not self._boosts(parsed):
            return "search_fts MATCH %s", [clauses], f"bm25(search_fts, {self.weights})"
        return (
            "search_fts MATCH %s",
            [clauses],
            f"2 * bm25(search_fts, {self.weights}) + coalesce(fb.r, 0)",
        )

    def rank_join(self, parsed: ParsedQuery) -> tuple[str, list]:
        """The boosts' share of the rank, matched once (not once per row)."""
        if not (boosts := self._boosts(parsed)):
            return "", []
        return (
            f"LEFT JOIN (SELECT rowid AS id, bm25(search_fts, {self.weights}) AS r FROM search_fts "
            f"WHERE search_fts MATCH %s) fb ON fb.id = d.product_id",
            [" OR ".join(boosts)],
        )

    @staticmethod
    def _boosts(parsed: ParsedQuery) -> list[str]:
        boosts = []
        if len(parsed.folded) > 1:
            boosts.append("{name_fold} : " + _fts_phrase(parsed.folded))
        if parsed.has_diacritics:
            boosts.append(
                "{name_exact} : (" + " OR ".join(_fts_phrase((t,)) for t in parsed.exact) + ")"
            )
        return boosts

    def prefix(self, parsed_tokens: list[str]) -> tuple[str, list]:
        # A phrase whose last token is a prefix: "hoa h" completes "Hoa hồi", not "Hòa Bình".
        return "search_fts MATCH %s", ["{name_fold} : " + _fts_phrase(tuple(parsed_tokens)) + "*"]

    def write(self, cursor, docs, ids):
        cursor.execute(
            f"DELETE FROM search_fts WHERE rowid IN ({','.join(['%s'] * len(ids))})", ids
        )
        cursor.executemany(
            "INSERT INTO search_fts (rowid, name_fold, body_fold, name_exact) VALUES (%s, %s, %s, %s)",
            [(d["id"], d["name_fold"], d["body_fold"], d["name_exact"]) for d in docs],
        )

    def delete(self, cursor, ids):
        cursor.execute(
            f"DELETE FROM search_fts WHERE rowid IN ({','.join(['%s'] * len(ids))})", ids
        )

    def clear(self, cursor):
        cursor.execute("DELETE FROM search_fts")

    def optimize(self, cursor):
        # A rebuild deletes every row and inserts them again: FTS5 keeps the deleted entries in
        # extra segments until merged (after a few rebuilds, 3x the size and 1.5x the query
        # time). Merging once at the end costs ~2.5 s per 100,000 products.
        cursor.execute("INSERT INTO search_fts (search_fts) VALUES ('optimize')")

    def vocabulary(self, cursor) -> list[str]:
        cursor.execute("SELECT term FROM search_fts_vocab")
        return [r[0] for r in cursor.fetchall()]


def _ts_phrase(phrase: tuple[str, ...], kind: str = FOLDED) -> str:
    weight = ":B" if kind == EXACT else ""  # B: the names as written (synonyms match exactly)
    return " <-> ".join(f"'{t}'{weight}" for t in phrase)


class _PostgresText:
    """tsvector ('simple') with weights A=folded name, B=exact name, C=folded body; the rank
    query ORs in the exact tokens and the adjacent phrase so those rank above plain matches."""

    join = ""

    def match(self, parsed: ParsedQuery) -> tuple[str, list, str]:
        recall = " & ".join(
            "(" + " | ".join(_ts_phrase(a, k) for k, a in c) + ")" for c in parsed.clauses
        )
        rank = [f"({recall})"]
        if len(parsed.folded) > 1:
            rank.append(f"({_ts_phrase(parsed.folded)})")
        if parsed.has_diacritics:
            rank.append("(" + " | ".join(f"'{t}'" for t in parsed.exact) + ")")
        where = "d.tsv @@ to_tsquery('simple', %s)"
        rank_sql = "-ts_rank('{0.05, 0.2, 0.6, 1.0}', d.tsv, to_tsquery('simple', %s))"
        return where, [recall, " | ".join(rank)], rank_sql

    def rank_join(self, parsed: ParsedQuery) -> tuple[str, list]:
        return "", []

    def prefix(self, parsed_tokens: list[str]) -> tuple[str, list]:
        *head, last = parsed_tokens
        expr = " <-> ".join([f"'{t}':A" for t in head] + [f"'{last}':*A"])
        return "d.tsv @@ to_tsquery('simple', %s)", [expr]

    def write(self, cursor, docs, ids):
        pass  # the tsvector is a generated column

    def delete(self, cursor, ids):
        pass

    def clear(self, cursor):
        pass

    def optimize(self, cursor):
        pass

    def vocabulary(self, cursor) -> list[str]:
        cursor.execute(
            f"SELECT word FROM ts_stat('SELECT to_tsvector(''simple'', name_fold) FROM {TABLE}')"
        )
        return [r[0] for r in cursor.fetchall()]

    def close_words(self, cursor, token: str) -> set[str] | None:
        """Words of names that look like `token` (pg_trgm word similarity, GIN-indexed), or
        None when the extension is missing (then the vocabulary is used)."""
        try:
            with transaction.atomic():
                cursor.execute("SET LOCAL pg_trgm.word_similarity_threshold = 0.3")
                cursor.execute(
                    f"SELECT name_fold FROM {TABLE} WHERE %s <%% name_fold "
                    f"ORDER BY word_similarity(%s, name_fold) DESC LIMIT 5",
                    [token, token],
                )
                return {w for (name,) in cursor.fetchall() for w in tokens(name)} or None
        except Exception:
            return None


class DatabaseBackend(SearchBackend):
    name = "database"
    _vocab: tuple[float, list[str]] | None = None

    def __init__(self, **_options):
        pass

    @property
    def text(self):
        return _PostgresText() if connection.vendor == "postgresql" else _SqliteText()

    # --- writes ---

    def index_many(self, docs: list[dict]) -> int:
        if not docs:
            return 0
        _bump_generation()
        # Raw upsert: the ORM's bulk_create compiles SQL per field and row, which dominated a
        # 100,000-product reindex; ON CONFLICT works on SQLite >= 3.24 and PostgreSQL alike.
        created = SearchDocument._meta.get_field("created")
        rows = [_row(d, created) for d in docs]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(UPSERT, rows)
            self.text.write(cursor, docs, [d["id"] for d in docs])
        return len(docs)

    def delete_many(self, ids: list[int]) -> int:
        ids = list(ids)
        if not ids:
            return 0
        _bump_generation()
        with transaction.atomic():
            deleted, _ = SearchDocument.objects.filter(product_id__in=ids).delete()
            with connection.cursor() as cursor:
                self.text.delete(cursor, ids)
        return deleted

    def clear(self) -> None:
        _bump_generation()
        with transaction.atomic():
            SearchDocument.objects.all().delete()
            with connection.cursor() as cursor:
                self.text.clear(cursor)

    def rebuild(self, docs_iter, *, after_load=None, progress=None) -> int:
        """One transaction: readers keep seeing the old rows until the new ones commit."""
        total = 0
        with transaction.atomic():
            self.clear()
            for docs in docs_iter:
                total += self.index_many(docs)
                if progress:
                    progress(total)
            if after_load:
                after_load()
            with connection.cursor() as cursor:
                self.text.optimize(cursor)
        DatabaseBackend._vocab = None
        return total

    def count(self) -> int:
        return SearchDocument.objects.count()

    def snapshot(self) -> dict[int, str]:
        return dict(SearchDocument.objects.values_list("product_id", "doc_hash"))

    # --- reads ---

    def search(self, query: Query) -> SearchResult:
        parsed = query.parsed
        where, params, rank, rank_params, text_join = self._where(query, parsed)
        base = f"FROM {TABLE} d {text_join} WHERE {' AND '.join(where) or '1=1'}"
        offset = query.offset
        if query.cursor:
            values = decode_cursor(query.cursor)
            offset = (
                int(values[0]) if values and isinstance(values[0], int) and values[0] >= 0 else 0
            )
        order, order_params = self._order(query, parsed, rank, rank_params)
        ranked, ranked_params = base, params
        if (
            rank and rank in order
        ):  # the rank's own join (SQLite: the boosts), only when ordering by it
            rank_join, rank_join_params = self.text.rank_join(parsed)
            ranked = f"FROM {TABLE} d {text_join} {rank_join} WHERE {' AND '.join(where)}"
            ranked_params = rank_join_params + params
        key = _facet_cache_key(base, params) if query.facets else None
        cached = cache.get(key) if key else None
        with connection.cursor() as cursor:
            if (
                query.facets
                and cached is None
                and not parsed.empty
                and connection.vendor == "sqlite"
            ):
                ids, (facets, total) = self._match_once(
                    cursor, ranked, ranked_params, query, rank, offset
                )
                if key:
                    cache.set(key, (facets, total), facet_cache_seconds())
            else:
                cursor.execute(
                    f"SELECT d.product_id {ranked} ORDER BY {order} LIMIT %s OFFSET %s",
                    ranked_params + order_params + [query.size, offset],
                )
                ids = [r[0] for r in cursor.fetchall()]
                facets, total = cached or self._facets(cursor, base, params, query.facets, key=key)
            if query.facets:
                facets = {**facets, **_option_facets(cursor, base, params)}
        result = SearchResult(ids=ids, total=total, facets=facets)
        if offset + len(ids) < total:
            result.next_cursor = encode_cursor([offset + len(ids)])
        if not total and not parsed.empty:
            result.suggestions = self._did_you_mean(parsed)
        return result

    def _where(self, query: Query, parsed: ParsedQuery):
        where, params, rank, rank_params, join = [], [], None, [], ""
        if not parsed.empty:
            sql, text_params, rank = self.text.match(parsed)
            join = self.text.join
            where.append(sql)
            params += text_params[:1]
            rank_params = text_params[1:]  # PostgreSQL ranks with its own tsquery
        for sql, value in _filters(query):
            where.append(sql)
            params += value
        return where, params, rank, rank_params, join

    def _order(self, query: Query, parsed: ParsedQuery, rank, rank_params):
        if query.sort == "price_asc":
            return "d.price_vnd IS NULL, d.price_vnd ASC, d.product_id ASC", []
        if query.sort == "price_desc":
            return "d.price_vnd IS NULL, d.price_vnd DESC, d.product_id DESC", []
        if query.sort == "newest" or parsed.empty:
            return "d.created DESC, d.product_id DESC", []
        return f"{rank}, d.product_id ASC", list(rank_params)

    def _facets(self, cursor, base, params, wanted: bool, *, key: str | None) -> tuple[dict, int]:
        """Total and facet counts over the matching rows (cached briefly when configured)."""
        if not wanted:
            cursor.execute(f"SELECT count(*) {base}", params)
            return {}, cursor.fetchone()[0]
        result = self._count_facets(cursor, base, params, text=False)
        if key:
            cache.set(key, result, facet_cache_seconds())
        return result

    def _match_once(self, cursor, base, params, query, rank, offset):
        """A text search with facets in one statement: the MATCH (and its rank) runs once into a
        materialised set, which gives the page of ids and both facet GROUP BYs. SQLite only: it
        returns UNION ALL parts in order (PostgreSQL may not, e.g. under a parallel append)."""
        order = self._order(query, query.parsed, "m.r", [])[0].replace("d.", "m.")
        if "m.r" not in order:  # sorted by price or date: skip the rank of every match
            rank = "0"
        cursor.execute(
            f"WITH m AS MATERIALIZED (SELECT d.product_id, {rank} AS r, d.price_vnd, d.created, "
            f"d.cooperative_id, d.category_id, d.province_id, d.facet_bits {base}) "
            f"SELECT 2, product_id, NULL, NULL, NULL FROM "
            f"(SELECT m.product_id FROM m ORDER BY {order} LIMIT %s OFFSET %s) page UNION ALL "
            + _GROUPS.format(p="", src="FROM m")
            + " UNION ALL "
            + _BITS.format(p="", src="FROM m"),
            params + [query.size, offset],
        )
        rows = cursor.fetchall()
        return [r[1] for r in rows if r[0] == 2], _tally([r for r in rows if r[0] != 2])

    def _count_facets(self, cursor, base, params, *, text: bool) -> tuple[dict, int]:
        """Two GROUP BYs and nothing computed per row: (cooperative, category, province) and
        the packed small facets (`packed.py`). A browse reads both off covering indexes (no
        sort, no table lookups); a text match is materialised once and grouped twice."""
        if text:
            cursor.execute(
                f"WITH m AS MATERIALIZED (SELECT d.cooperative_id, d.category_id, d.province_id, "
                f"d.facet_bits {base}) "
                + _GROUPS.format(p="", src="FROM m")
                + " UNION ALL "
                + _BITS.format(p="", src="FROM m"),
                params,
            )
        else:
            cursor.execute(
                _GROUPS.format(p="d.", src=base) + " UNION ALL " + _BITS.format(p="d.", src=base),
                params + params,
            )
        return _tally(cursor.fetchall())

    def _did_you_mean(self, parsed: ParsedQuery) -> list[str]:
        fixed, changed = [], False
        for token in parsed.folded:
            vocab = self._candidates(token)
            if token in vocab or len(token) < 3:
                fixed.append(token)
                continue
            close = difflib.get_close_matches(token, sorted(vocab), n=1, cutoff=0.75)
            fixed.append(close[0] if close else token)
            changed |= bool(close)
        return [" ".join(fixed)] if changed else []

    def _candidates(self, token: str) -> set[str]:
        if hasattr(self.text, "close_words"):
            with connection.cursor() as cursor:
                words = self.text.close_words(cursor, token)
            if words is not None:
                return words
        return set(self._vocabulary())

    def _vocabulary(self) -> list[str]:
        cached = DatabaseBackend._vocab
        if cached and time.monotonic() - cached[0] < VOCAB_TTL:
            return cached[1]
        with connection.cursor() as cursor:
            words = sorted(
                {w for w in self.text.vocabulary(cursor) if w.isascii() and not w.isdigit()}
            )
        DatabaseBackend._vocab = (time.monotonic(), words)
        return words

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        parsed_tokens = tokens(prefix[:100])[:6]
        if not parsed_tokens:
            return []
        sql, params = self.text.prefix(parsed_tokens)
        join = self.text.join
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT d.name_vi FROM {TABLE} d {join} WHERE {sql} "
                f"ORDER BY length(d.name_vi), d.product_id LIMIT %s",
                params + [limit * 3],
            )
            names = []
            for (name,) in cursor.fetchall():
                if name not in names:
                    names.append(name)
        return names[:limit]


_GROUPS = (
    "SELECT 0, {p}cooperative_id, {p}category_id, {p}province_id, count(*) {src} "
    "GROUP BY {p}cooperative_id, {p}category_id, {p}province_id"
)
_BITS = "SELECT 1, {p}facet_bits, NULL, NULL, count(*) {src} GROUP BY {p}facet_bits"


def _tally(rows) -> tuple[dict, int]:
    """Facet counts and total from the rows of `_GROUPS` (kind 0) and `_BITS` (kind 1)."""
    facets: dict[str, dict] = {name: {} for name in FACETS}
    total = 0
    for kind, a, b, c, n in rows:
        if kind == 0:
            total += n
            for facet, value in (("cooperative", a), ("category", b), ("province", c)):
                if value is not None:
                    facets[facet][value] = facets[facet].get(value, 0) + n
            continue
        for facet, value in unpack(a):
            facets[facet][value] = facets[facet].get(value, 0) + n
    facets["category"] = _roll_up(facets["category"])
    return facets, total


COLUMNS = [f.column for f in SearchDocument._meta.concrete_fields]
UPSERT = (
    f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))}) "
    f"ON CONFLICT (product_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "product_id")
)


def _row(doc: dict, created_field) -> tuple:
    # On SQLite the text lives in the FTS5 table only: a narrow row keeps facet scans fast.
    text = connection.vendor != "sqlite"
    values = {
        "product_id": doc["id"],
        "name_vi": doc["name_vi"],
        "name_en": doc["name_en"] or "",
        "name_exact": doc["name_exact"] if text else "",
        "name_fold": doc["name_fold"] if text else "",
        "body_fold": doc["body_fold"] if text else "",
        "category_id": doc["category_id"],
        "category_path": json.dumps(doc["category_path"]),
        "province_id": doc["province_id"],
        "cooperative_id": doc["cooperative_id"],
        "certifications": json.dumps(doc["certifications"]),
        "ocop_stars": doc["ocop_stars"],
        "price_vnd": doc["price_vnd"],
        "price_max_vnd": doc.get("price_max_vnd", doc["price_vnd"]),
        "variant_count": doc.get("variant_count", 1),
        "options": json.dumps(_option_tokens(doc), ensure_ascii=False),
        "in_stock": doc["in_stock"],
        "incoterms": json.dumps(doc["incoterms"]),
        "export_ready": doc["export_ready"],
        "created": created_field.get_db_prep_value(doc["created"], connection),
        "facet_bits": pack(
            in_stock=doc["in_stock"],
            price_vnd=doc["price_vnd"],
            ocop_stars=doc["ocop_stars"],
            certifications=doc["certifications"],
            incoterms=doc["incoterms"],
        ),
        "doc_hash": doc.get("doc_hash", ""),  # "" = unknown: search_check repairs it
    }
    return tuple(values[c] for c in COLUMNS)


def _option_tokens(doc: dict) -> list[str]:
    return [f"{name}:{v}" for name, field in OPTION_FIELDS.items() for v in doc.get(field, [])]


def _option_facets(cursor, base: str, params: list) -> dict[str, dict[str, int]]:
    """Counts per option value (pack, grade, crop year) over the matching documents: one
    GROUP BY on the options column (few distinct lists), tallied here."""
    cursor.execute(f"SELECT d.options, count(*) {base} GROUP BY d.options", params)
    out: dict[str, dict[str, int]] = {name: {} for name in OPTION_FIELDS}
    for options, n in cursor.fetchall():
        for token in json.loads(options or "[]"):
            name, _sep, value = token.partition(":")
            if name in out:
                out[name][value] = out[name].get(value, 0) + n
    return out


def _filters(query: Query):
    if query.category is not None:
        ids = Category(pk=query.category).descendant_ids()
        yield f"d.category_id IN ({','.join(['%s'] * len(ids))})", ids
    if query.province is not None:
        yield "d.province_id = %s", [query.province]
    if query.cooperative is not None:
        yield "d.cooperative_id = %s", [query.cooperative]
    if query.certification:
        yield "d.certifications LIKE %s", [f'%"{query.certification}"%']
    if query.ocop_stars is not None:
        yield "d.ocop_stars >= %s", [query.ocop_stars]
    for name in OPTION_FIELDS:
        if value := getattr(query, name):
            token = json.dumps(f"{name}:{value}", ensure_ascii=False)
            token = token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            yield "d.options LIKE %s ESCAPE '\\'", [f"%{token}%"]
    if query.price_min is not None:
        yield "d.price_vnd >= %s", [query.price_min]
    if query.price_max is not None:
        yield "d.price_vnd <= %s", [query.price_max]
    if query.in_stock is not None:
        yield "d.in_stock = %s", [query.in_stock]
    if query.export_ready is not None:
        yield "d.export_ready = %s", [query.export_ready]
    if query.incoterm:
        yield "d.incoterms LIKE %s", [f'%"{query.incoterm}"%']


def tune_sqlite(sender, connection, **_kwargs) -> None:
    """`connection_created` receiver: SQLite's defaults (2 MB page cache, temp B-trees on disk)
    make every facet scan re-read the index pages; a bigger cache, memory-mapped reads and
    in-memory temp structures keep them in RAM. Per connection, so no settings change needed."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size = -65536")  # KiB: 64 MB
        cursor.execute("PRAGMA mmap_size = 268435456")
        cursor.execute("PRAGMA temp_store = MEMORY")


def facet_cache_seconds() -> int:
    return getattr(settings, "SEARCH_FACET_CACHE_SECONDS", 30)


def _facet_cache_key(base: str, params: list) -> str | None:
    """Facet counts over a big match (browsing, a common word) cost a scan of the matching rows;
    buyers paging or re-sorting ask the same again. Cached briefly, and keyed by an index
    generation that every index write bumps (in the shared cache), so writes show at once."""
    if facet_cache_seconds() <= 0:
        return None
    generation = cache.get_or_set(GENERATION_KEY, 1, None)
    digest = hashlib.sha1(repr((connection.alias, base, params)).encode()).hexdigest()
    return f"search:facets:{generation}:{digest}"


def _bump_generation() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 2, None)


_tree_cache: tuple[float, dict[int, int | None]] | None = None


def _roll_up(counts: dict[int, int]) -> dict[int, int]:
    """Counts per category including its descendants (what a category filter would return)."""
    global _tree_cache
    if _tree_cache is None or time.monotonic() - _tree_cache[0] > 60:
        _tree_cache = (time.monotonic(), dict(Category.objects.values_list("pk", "parent_id")))
    parents = _tree_cache[1]
    if any(c not in parents for c in counts):
        parents = dict(Category.objects.values_list("pk", "parent_id"))
        _tree_cache = (time.monotonic(), parents)
    rolled: dict[int, int] = {}
    for category, n in counts.items():
        seen = set()
        while category is not None and category not in seen:
            seen.add(category)
            rolled[category] = rolled.get(category, 0) + n
            category = parents.get(category)
    return rolled


__all__ = ["DatabaseBackend", "parse"]
