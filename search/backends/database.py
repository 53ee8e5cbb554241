"""The embedded default: SQLite FTS5 or PostgreSQL full text over `SearchDocument`.

Both vendors share the table, the filters, the facet aggregation and paging; only the text
match and its rank differ (`_SqliteText`, `_PostgresText`). Text queries are built from folded
tokens (letters and digits only), so no operator a buyer types can reach the SQL or FTS syntax.
"""

# S608 (SQL built from strings): the SQL here is assembled from the constant table name, column
# lists taken from the model, and fragments built by this module; every value a user sends goes
# through %s parameters. Each such line carries `noqa: S608`.

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import Field

from catalog.models import Category
from search import ranking
from search.backends import pg_rebuild, window
from search.backends.base import (
    COOPERATIVE_FACET_SIZE,
    FACETS,
    OPTION_FIELDS,
    Query,
    SearchBackend,
    SearchResult,
    decode_cursor,
    encode_cursor,
)
from search.backends.packed import pack, unpack
from search.models import SearchDocument, SearchWord
from search.text import FOLDED, parse, tokens

log = logging.getLogger("htx.search")

TABLE = SearchDocument._meta.db_table
# The `sku` column holds every variant's SKU, one per line; the exact-SKU signal looks for the
# query as one whole line (a family ranks first for the SKU of any of its variants).
SKU_SEPARATOR = "\n"
WORDS = SearchWord._meta.db_table
# PostgreSQL: the narrow table of the names and the filter columns (migration search 0012),
# kept in the same transactions as the documents' table: a rank window's rows are found in it
# (`_PostgresText.window_ids`), ~20 rows to a page instead of ~5.
NAMES = "search_searchname"
NAME_COLUMNS = [
    "product_id",
    "name_fold",
    "name_exact",
    "category_id",
    "province_id",
    "cooperative_id",
    "certifications",
    "ocop_stars",
    "options",
    "price_vnd",
    "in_stock",
    "incoterms",
    "export_ready",
]
GENERATION_KEY = "search:index-generation"
# Common words (search/ranking.py; the engines apply the same rule): module names the tests
# can change for this backend alone.
COMMON_MIN_DOCS = ranking.COMMON_MIN_DOCS
NARROWED_ENOUGH = ranking.NARROWED_ENOUGH
# A rank window (`DatabaseBackend._windowed`) only for a match that may hold this many times
# its size: below that, ranking the whole match costs less than reading the window.
WINDOW_MIN_ROWS = 10
# ... and only in a catalog this big: at 100,000 documents ranking a whole match (even a common
# word's 8,600 names) costs less than scoring a window (SQLite "sắn": 37 ms against 68 ms).
WINDOW_MIN_DOCS = 250_000
# PostgreSQL: a rank window's rows are looked for first among this many newest rows, which
# measures how far a walk of the primary key would go (`_PostgresText.window_ids`).
PROBE_ROWS = 10_000
# ... and the rest is walked only when a page's worth of walked rows (each tested) costs less
# than this many pages fetched through the names' index: measured at 1,000,000 products, a
# walked row costs ~0.45 us and a fetched page ~6.5 us (19 rows a page: x1.3), and a walk
# that the probe's share misjudges (it is measured on the newest 10,000 rows only) pays for
# the index read after it as well ("che" under a price and export filter: 80 ms walked in
# vain, then 86 ms through the index).
WALK_PAGE_COST = 1.5
# PostgreSQL: the narrow table's rows are in blocks of 2**ID_BLOCK_BITS ids, each a lexeme of
# `tsv_filter` (`r<product_id >> 15>`, the SQL function `search_filter_lexemes`, migration
# search 0015): a rank window read through the index reads the blocks that should hold it,
# BLOCK_MARGIN times the rows the probe's share says it needs.
ID_BLOCK_BITS = 15
BLOCK_MARGIN = 2.0
DOCS = ""  # the number of documents, beside the terms' shares (no term is empty)
PAGES = "#pages"  # PostgreSQL: the table's pages, beside them (no term has a "#")
# A SQLite rank signal estimated to match more than this many times the recall's rarest clause
# is bounded by that clause (`_SqliteText._signal_bound`).
BOUND_FACTOR = 3
# How long an estimated word share (`DatabaseBackend._estimated_shares`) is used for.
ESTIMATE_SECONDS = 600
# With the shared cache down, the terms' shares (common words, rank windows) are read again
# from the database this often (with it up: after every index write).
SHARES_WITHOUT_CACHE_SECONDS = 300
# SQLite price sorts of a text match (`DatabaseBackend._price_walk`): walk the price index
# when the page's rows are estimated to be among its first WALK_MAX_ROWS rows, reading at least
# WALK_MIN_ROWS and WALK_MARGIN times the estimate; only in a catalog of WALK_MIN_DOCS+.
PRICE_SORTS = ("price_asc", "price_desc")
WALK_MIN_DOCS = COMMON_MIN_DOCS
WALK_MIN_ROWS = 200
WALK_MAX_ROWS = 50_000
WALK_MARGIN = 4
# ... and only when it reads fewer index rows than this many times the estimated match (a
# matching row looked up in the table and sorted costs about as much as 6 index rows walked).
WALK_PER_MATCH = 6
# FTS5's write buffer: its default ('hashsize'), and a rebuild's (`_SqliteText.load`).
FTS5_HASH_BYTES, LOAD_HASH_BYTES = 1024 * 1024, 256 * 1024 * 1024
# A text match this big keeps its facet counts like a browse (`big_match_seconds`).
BIG_MATCH_ROWS = 5000
Params = list[Any]  # SQL parameters
Doc = dict[str, Any]  # one search document (search.product_documents)
Facets = dict[str, dict[Any, int]]


_FTS_COLUMNS = {"name": "name_fold", "context": "context_fold", "body": "body_fold"}


def _fts_phrase(phrase: tuple[str, ...]) -> str:
    return '"' + " ".join(phrase) + '"'


def _fts_clause(clause: ranking.Clause, fields: tuple[str, ...]) -> str:
    """One clause as FTS5: any alternative, typed words in `fields`, synonyms in the name."""
    columns = " ".join(_FTS_COLUMNS[f] for f in fields)
    return (
        "("
        + " OR ".join(
            f"({{{columns}}} : {_fts_phrase(a)})"
            if k == FOLDED
            else f"({{name_exact}} : {_fts_phrase(a)})"
            for k, a in clause
        )
        + ")"
    )


def _fts_all(clauses: Iterable[ranking.Clause], fields: tuple[str, ...]) -> str:
    return " AND ".join(_fts_clause(c, fields) for c in clauses)


def clause_terms(clause: ranking.Clause) -> list[str]:
    """The words of every alternative of a clause, as the full-text index holds them."""
    return [t for _kind, phrase in clause for t in phrase]


def _clause_share(clause: ranking.Clause, shares: dict[str, float]) -> float:
    """At most the share of the documents matching any alternative of `clause` (a phrase is
    in no more documents than its rarest word), from the words' shares in any column."""
    return sum(min(shares.get(t, 0.0) for t in phrase) for _kind, phrase in clause)


def _estimated_density(plan: ranking.Plan, shares: dict[str, float]) -> float:
    """The share of the documents a match is expected to hold, taking its words as
    independent: the product over its clauses of the sum over their alternatives of the
    product of their words' shares. (`_clause_share` is an upper bound, 4-10x too high for
    phrases and several words: "CÀ PHÊ ĐẮK LẮK" 10.8% against 0.9% found.)"""
    density = 1.0
    for clause in plan.recall:
        alternatives = 0.0
        for _kind, phrase in clause:
            found = 1.0
            for term in phrase:
                found *= shares.get(term, 0.0)
            alternatives += found
        density *= min(alternatives, 1.0)
    return density


class _SqliteText:
    """FTS5. The recall is one MATCH; each rank signal (search/ranking.py) is a MATCH of its
    own, run once into a set that each matching row is looked up in."""

    join = "JOIN search_fts f ON f.rowid = d.product_id"

    @staticmethod
    def statement(*, text: bool) -> Any:
        return connection.cursor()

    def match(self, plan: ranking.Plan) -> tuple[str, Params]:
        return "search_fts MATCH %s", [self._recall(plan)]

    @staticmethod
    def window_rows(
        cursor: CursorWrapper, plan: ranking.Plan, filters: list[str], params: Params, size: int
    ) -> list[tuple[Any, ...]]:
        """The newest `size` rows with every word in the name (FTS5 reads the name matches
        newest first and stops there), with what `window.page` scores and orders them by."""
        where = " AND ".join(["search_fts MATCH %s", *filters])
        cursor.execute(
            f"SELECT f.rowid, f.name_fold, f.context_fold, f.name_exact, d.sku, d.name_len, "  # noqa: S608
            f"d.orders, d.created FROM search_fts f JOIN {TABLE} d ON d.product_id = f.rowid "
            f"WHERE {where} ORDER BY f.rowid DESC LIMIT %s",
            [_fts_all(plan.recall, ranking.NAME), *params, size],
        )
        return list(cursor.fetchall())

    @staticmethod
    def has_sku(cursor: CursorWrapper, plan: ranking.Plan) -> bool:
        """Whether a document has the query as one of its SKUs (the signal that outranks
        every other): every SKU is also words of the context, so only the documents with the
        query's words as a phrase there are tested."""
        words = tokens(plan.sku)
        if not words:
            return False
        cursor.execute(
            f"SELECT 1 FROM search_fts f JOIN {TABLE} d ON d.product_id = f.rowid "  # noqa: S608
            f"WHERE search_fts MATCH %s AND {_SKU_TEST.format(find='instr')} LIMIT 1",
            ["{context_fold} : " + _fts_phrase(tuple(words)), *_sku_params(plan)],
        )
        return cursor.fetchone() is not None

    @staticmethod
    def _recall(plan: ranking.Plan) -> str:
        return " AND ".join(_fts_clause(c, plan.fields_of(i)) for i, c in enumerate(plan.recall))

    def shares(self, cursor: CursorWrapper, terms: list[str]) -> dict[str, float]:
        """The share of the documents that contain each term (in any column), from the FTS5
        vocabulary (its cost grows with the term's document list: cached per index write)."""
        cursor.execute(f"SELECT count(*) FROM {TABLE}")  # noqa: S608
        docs = cursor.fetchone()[0]
        if docs < COMMON_MIN_DOCS:
            return {}
        out = {DOCS: float(docs)}
        for term in (t for t in terms if t != DOCS):
            cursor.execute("SELECT doc FROM search_fts_vocab WHERE term = %s", [term])
            row = cursor.fetchone()
            out[term] = (row[0] if row else 0) / docs
        return out

    def rank(
        self,
        plan: ranking.Plan,
        windowed: bool = False,
        shares: dict[str, float] | None = None,
    ) -> tuple[str, Params]:
        """Each signal is a MATCH run once into a set that each matching row is looked up in.
        `shares` (the estimated share of the documents holding each word of the plan, see
        `_signal_bound`) choose how each set is bounded; the scores never depend on them."""
        # (never `windowed`: SQLite scores its rank window in Python, see `window_rows`)
        parts = [f"(CASE WHEN {_SKU_TEST.format(find='instr')} THEN %s ELSE 0 END)"]
        params: Params = [*_sku_params(plan), ranking.SKU]
        for signal in plan.signals:
            if _in_every_matched_row(plan, signal):
                parts.append("%s")
                params.append(signal.weight)
                continue
            parts.append(
                "(CASE WHEN d.product_id IN (SELECT rowid FROM search_fts WHERE search_fts "
                "MATCH %s) THEN %s ELSE 0 END)"
            )
            expr = _fts_all(signal.clauses, signal.fields)
            if bound := self._signal_bound(plan, signal, shares):
                expr = f"({expr}) AND ({bound})"
            params += [expr, signal.weight]
        return " + ".join(parts), params

    def _signal_bound(
        self, plan: ranking.Plan, signal: ranking.Signal, shares: dict[str, float] | None
    ) -> str | None:
        """What a signal's MATCH is ANDed with, or None: only recall rows are ever looked up
        in its set, so any part of the recall keeps every score the same, and bounds the set.
        A signal that matches far more rows than the query ("san" in the context: 93,000 of
        100,000 for "khoai mi", whose synonym "sắn" folds to it; the query finds 2,191) gets the
        recall's rarest clause (estimated from `shares`): building a set of 93,000 rows cost
        more than the MATCH. A signal about as small as the recall runs alone: ANDing the
        whole recall to every signal read the recall's words again each time ("dac san lang
        son": eleven signals, 32 -> 20 ms). A signal outside the names when the recall is
        narrowed to them (a common word) gets the whole recall ("sắn" in the context: 93,000
        rows, its recall 8,636). Without estimates (a catalog under COMMON_MIN_DOCS, or the
        shared cache down), the rule before them: signals of some words only get the recall."""
        if plan.narrowed and signal.fields != ranking.NAME:
            return self._recall(plan)
        if not shares:
            return self._recall(plan) if len(signal.clauses) < len(plan.recall) else None
        recall = [_clause_share(c, shares) for c in plan.recall]
        rarest = min(range(len(recall)), key=recall.__getitem__)
        if min(_clause_share(c, shares) for c in signal.clauses) <= BOUND_FACTOR * recall[rarest]:
            return None
        return _fts_clause(plan.recall[rarest], plan.fields_of(rarest))

    def prefix(self, parsed_tokens: list[str]) -> tuple[str, Params]:
        # A phrase whose last token is a prefix: "hoa h" completes "Hoa hồi", not "Hòa Bình".
        return "search_fts MATCH %s", ["{name_fold} : " + _fts_phrase(tuple(parsed_tokens)) + "*"]

    def write(self, cursor: CursorWrapper, docs: list[Doc], ids: list[int]) -> None:
        self.delete(cursor, ids)
        self.insert(cursor, docs)

    @staticmethod
    def insert(cursor: CursorWrapper, docs: list[Doc]) -> None:
        """Rows that are not in the table (a rebuild's, after `clear`)."""
        cursor.executemany(
            "INSERT INTO search_fts (rowid, name_fold, context_fold, body_fold, name_exact) "
            "VALUES (%s, %s, %s, %s, %s)",
            [
                (d["id"], d["name_fold"], d["context_fold"], d["body_fold"], d["name_exact"])
                for d in docs
            ],
        )

    def delete(self, cursor: CursorWrapper, ids: list[int]) -> None:
        cursor.execute(
            f"DELETE FROM search_fts WHERE rowid IN ({','.join(['%s'] * len(ids))})",  # noqa: S608
            ids,
        )

    def clear(self, cursor: CursorWrapper) -> None:
        cursor.execute("DELETE FROM search_fts")

    @staticmethod
    def load(cursor: CursorWrapper) -> None:
        """Before a rebuild's inserts: FTS5 keeps up to LOAD_HASH_BYTES of new entries in
        memory before it writes them out as a segment (its default, 1 MB, is a segment
        every ~1,000 products); `optimize` puts the default back. Part of the rebuild's
        transaction, so a failed rebuild leaves it as it was."""
        cursor.execute(
            "INSERT INTO search_fts (search_fts, rank) VALUES ('hashsize', %s)", [LOAD_HASH_BYTES]
        )

    def optimize(self, cursor: CursorWrapper) -> None:
        cursor.execute(
            "INSERT INTO search_fts (search_fts, rank) VALUES ('hashsize', %s)", [FTS5_HASH_BYTES]
        )
        # A rebuild deletes every row and inserts them again: FTS5 keeps the deleted entries in
        # extra segments until merged (after a few rebuilds, 3x the size and 1.5x the query
        # time). Merging once at the end costs ~2.5 s per 100,000 products.
        cursor.execute("INSERT INTO search_fts (search_fts) VALUES ('optimize')")
        # Planner statistics (sqlite_stat1), for the whole file: without them SQLite guesses
        # that `status = 'ACTIVE'` is selective and reads a search page's 24 families' variants
        # through the status index (all 100,000 products, 40-60 ms) instead of by family.
        cursor.execute("ANALYZE")

    def close_words(self, cursor: CursorWrapper, token: str) -> set[str]:
        """Vocabulary words one edit away from `token` (delete, transpose, replace, insert)."""
        return _words_one_edit_away(cursor, token)


def _words_one_edit_away(cursor: CursorWrapper, token: str) -> set[str]:
    candidates = sorted(_edits1(token))
    found: set[str] = set()
    for start in range(0, len(candidates), 500):
        chunk = candidates[start : start + 500]
        cursor.execute(
            f"SELECT word FROM {WORDS} WHERE word IN ({','.join(['%s'] * len(chunk))})",  # noqa: S608
            chunk,
        )
        found |= {w for (w,) in cursor.fetchall()}
    return found


def _in_every_matched_row(plan: ranking.Plan, signal: ranking.Signal) -> bool:
    """A signal that tests exactly what the recall tests (every clause, where the recall looks
    for it) is true on every matching row: a common word's recall is its name matches, and so
    is its "every word in the name" signal ("sắn": the same 8,636 rows). Its weight is added
    as it is, without a match of its own."""
    return signal.clauses == plan.recall and all(
        plan.fields_of(i) == signal.fields for i in range(len(plan.recall))
    )


def _in_every_windowed_row(plan: ranking.Plan, signal: ranking.Signal) -> bool:
    """A rank window holds rows with every clause of the query in the name: a signal that
    tests some of those clauses in the name (all words, a word's name share) is true on each
    of them; its weight is added as it is, without a match per signal."""
    return signal.fields == ranking.NAME and set(signal.clauses) <= set(plan.recall)


# The query is one of the lines of `sku` (SQLite instr / PostgreSQL strpos: same arguments).
_SKU_TEST = "{find}(%s || d.sku || %s, %s) > 0"


def _sku_params(plan: ranking.Plan) -> list[str]:
    sku = plan.sku.replace(SKU_SEPARATOR, " ")
    return [SKU_SEPARATOR, SKU_SEPARATOR, f"{SKU_SEPARATOR}{sku}{SKU_SEPARATOR}"]


_TS_WEIGHTS = {"name": "A", "context": "C", "body": "D"}


def _ts_phrase(phrase: tuple[str, ...], weights: str = "") -> str:
    return " <-> ".join(f"'{t}'" + (f":{weights}" if weights else "") for t in phrase)


def _ts_clause(clause: ranking.Clause, weights: str) -> str:
    # B: the names as written (synonyms and exact diacritics match there)
    return "(" + " | ".join(_ts_phrase(a, weights if k == FOLDED else "B") for k, a in clause) + ")"


def _ts_all(clauses: Iterable[ranking.Clause], fields: tuple[str, ...]) -> str:
    weights = "".join(_TS_WEIGHTS[f] for f in fields)
    return " & ".join(_ts_clause(c, weights) for c in clauses)


class _PostgresText:
    """tsvector ('simple') with weights A = folded name, B = name as written, C = context,
    D = description (`tsv`), and the names alone (`tsv_name`, A and B). The recall is GIN-
    indexed tests (one OR per clause, see `match`); each rank signal (search/ranking.py) is a weight-restricted tsquery
    tested on the matching rows' tsvectors (name signals on `tsv_name`)."""

    join = ""

    @staticmethod
    @contextmanager
    def statement(*, text: bool) -> Iterator[CursorWrapper]:
        """A cursor for one search statement. A text match runs with sequential scans off: the
        planner over-estimates weight-restricted tsquery matches ("qua": 21,000 rows for the
        8,835 found) and then reads the whole table, testing the tsquery on every row (140 ms
        at 100,000 products, in parallel workers), where the GIN index finds the rows in a few
        milliseconds. Without JIT compilation (every search statement): at 1,000,000
        products the big matches' plans cost more than `jit_above_cost`, and compiling them
        took about 50 ms of a search that runs for less (none at 100,000). Local to this
        statement's transaction; inside a caller's transaction (a savepoint here, which does
        not undo it) the caller's settings are put back after."""
        nested = connection.in_atomic_block
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('enable_seqscan'), current_setting('jit'), "
                "set_config('enable_seqscan', CASE WHEN %s THEN 'off' "
                "ELSE current_setting('enable_seqscan') END, true), set_config('jit', 'off', true)",
                [text],
            )
            before = cursor.fetchone()[:2]
            yield cursor
            if nested:  # (after an error, rolling back to the savepoint undoes it)
                cursor.execute(
                    "SELECT set_config('enable_seqscan', %s, true), set_config('jit', %s, true)",
                    before,
                )

    def match(self, plan: ranking.Plan) -> tuple[str, Params]:
        """Each clause as an OR of GIN-indexed tests: the words typed on `tsv` (anywhere), or
        on the names' own tsvector for a common word; synonyms and exact words (weight B: the
        names as written) on `tsv_name` too. On `tsv` a weight cannot be tested in the index:
        "trái" as a synonym of "qua" fetched and rechecked the 16,000 rows whose category is
        "Trái cây" to keep none of them."""
        sql: list[str] = []
        params: Params = []
        for i, clause in enumerate(plan.recall):
            anywhere = plan.fields_of(i) == ranking.RECALL
            folded = [_ts_phrase(a, "" if anywhere else "A") for k, a in clause if k == FOLDED]
            exact = [_ts_phrase(a, "B") for k, a in clause if k != FOLDED]
            tests = []
            if folded:
                tests.append(f"d.{'tsv' if anywhere else 'tsv_name'} @@ to_tsquery('simple', %s)")
                params.append(" | ".join(folded))
            if exact:
                tests.append("d.tsv_name @@ to_tsquery('simple', %s)")
                params.append(" | ".join(exact))
            sql.append("(" + " OR ".join(tests) + ")")
        return " AND ".join(sql), params

    @staticmethod
    def window_ids(
        cursor: CursorWrapper,
        plan: ranking.Plan,
        filters: list[str],
        params: Params,
        size: int,
        table: tuple[float, float],
        price_max: int | None = None,
    ) -> list[int] | None:
        """The ids of the `size` newest rows with every word in the name that the filters
        keep, newest first, or None when there are fewer. Two ways to find them: a walk of
        the primary key backwards testing each row (it reads `size` / (the share of rows
        that match and are kept) rows, a few to a page: the table is loaded in id order), or
        the names' GIN index (`searchname_names_filters`), which fetches every name match
        it is asked for (about a page each). The planner chose from its statistics and the
        choice moved with them: it walked 365,000 rows for the 22,000 "star anise" under a
        price filter (944 ms), and estimates from the words' shares cannot tell a phrase
        from its words ("hữu cơ" is both words, "ca cao" is not "cao cấp"). So the newest
        PROBE_ROWS rows are walked first, which measures both shares; the rest is walked if
        that should read fewer pages than the index would, else found through the index.
        `table`: its rows and pages; `price_max`: the query's upper price bound.
        The index is asked, in the same GIN scan as the names, for the lexemes of the
        narrow table's `tsv_filter` (migration search 0015): the price step at or above an
        upper price bound (`search_price_tsquery`; the exact bound is tested on the rows
        fetched: "ca cao" under a price bound at 1,000,000 products read a 247,000-entry
        bitmap of the price B-tree, 14 ms, before its 7,685 pages of rows), and
        the blocks of ids (`ID_BLOCK_BITS`) that should hold the rest of the window, newest
        first, by the probe's share: only the name matches in those blocks are fetched, and
        the next blocks down only when they held too few. At 1,000,000 products "thanh
        long" (2% of the names) walked 92,000 rows (36 ms) or would have fetched all of its
        21,800 matches; in the three newest blocks it fetches 1,800 (5 ms).
        Every read here is of the narrow table (`NAMES`: ids, names, filter columns): the
        candidate rows the walk and the index read are ~20 to a page there, against ~5 in the
        documents' table (1.4 GB at 1,000,000 products), whose rows only the ranking of the
        window's ids reads."""
        docs, pages = table
        name = _ts_all(plan.recall, ranking.NAME)
        kept = "(" + " AND ".join(filters) + ")" if filters else "true"
        priced = [] if price_max is None else [price_max]
        band = "d.tsv_filter @@ search_price_tsquery(%s::bigint)" if priced else "true"
        cursor.execute("SELECT set_config('enable_bitmapscan', 'off', true)")
        try:
            cursor.execute(
                f"SELECT (SELECT product_id FROM {NAMES} ORDER BY product_id DESC "  # noqa: S608
                f"LIMIT 1 OFFSET %s), (SELECT max(product_id) FROM {NAMES})",
                [PROBE_ROWS - 1],
            )
            bound, top = cursor.fetchone()
            cursor.execute(
                f"SELECT d.product_id, {kept}, {band} FROM {NAMES} d WHERE d.tsv_name @@ "  # noqa: S608
                f"to_tsquery('simple', %s) AND d.product_id >= %s ORDER BY d.product_id DESC",
                [*params, *priced, name, bound or 0],
            )
            probed = cursor.fetchall()
            ids = [i for i, keep, _band in probed if keep]
            if len(ids) >= size or bound is None:  # (no bound: the probe read every row)
                return ids[:size] if len(ids) >= size else None
            rows_per_page = docs / pages if docs and pages else 1.0
            walk = (size - len(ids)) * PROBE_ROWS / len(ids) if ids else float("inf")  # rows
            # the index fetches the name matches under the price step (about a page each), in
            # the blocks that should hold `walk` rows (with a margin), or in the whole table
            fetched = sum(1 for _i, _keep, in_band in probed if in_band) / PROBE_ROWS
            index = min(fetched * min(walk * BLOCK_MARGIN, docs), pages or docs)  # pages
            if walk / rows_per_page * WALK_PAGE_COST < index:
                # The rows past the probe, newest first, at most as many as the index would
                # read: a LIMIT under the tests (no test is moved below a LIMIT), so the walk
                # stops at that bound. It was a lower bound on the id found with OFFSET, which
                # read the primary key that far first, and to its end when the bound was past
                # the table: "qua", "cafe", "organic" at 1,000,000 products read all 1,000,000
                # index entries (170-210 ms) before a walk of 13,000 rows (10 ms).
                # (the filters first: PostgreSQL keeps the written order of tests of equal
                # cost, and a price bound spares the names' test three rows in four)
                walked = " AND ".join([*filters, "d.tsv_name @@ to_tsquery('simple', %s)"])
                cursor.execute(
                    f"SELECT d.product_id FROM (SELECT * FROM {NAMES} WHERE product_id < %s "  # noqa: S608
                    f"ORDER BY product_id DESC LIMIT %s) d WHERE {walked} "
                    f"ORDER BY d.product_id DESC LIMIT %s",
                    [
                        bound,
                        int(index * rows_per_page) + 1,
                        *params,
                        name,
                        size - len(ids),
                    ],
                )
                walked_ids = [r[0] for r in cursor.fetchall()]
                if len(ids) + len(walked_ids) == size:
                    return ids + walked_ids
                # (the walk stopped at its bound: the index reads on from the probe's rows)
        finally:
            cursor.execute("SELECT set_config('enable_bitmapscan', 'on', true)")
        # the rows below the probe that should hold the rest, and how far down the ids they
        # reach (ids per row among the newest rows); past the table's rows, all of them
        rows = walk * BLOCK_MARGIN
        spread = max(1.0, (top - bound) / PROBE_ROWS)
        reach = bound - int(rows * spread) if rows < docs else 0
        return _PostgresText._index_window(
            cursor, name, filters, params, priced, size, ids, bound, reach
        )

    @staticmethod
    def _index_window(
        cursor: CursorWrapper,
        name: str,
        filters: list[str],
        params: Params,
        priced: list[int],
        size: int,
        ids: list[int],
        below: int,
        reach: int,
    ) -> list[int] | None:
        """The rest of the window (`ids`: its newest rows) through the names' index, from
        the rows under id `below`: first the blocks of ids down to `reach`, then, while they
        hold too few, twice as many blocks further down each time, until the first block.
        Each read fetches only its own blocks' name matches (the blocks are lexemes of
        `tsv_filter`, intersected with the names in the GIN scan), so the blocks read in
        vain cost their own matches only."""
        high = (below - 1) >> ID_BLOCK_BITS
        low = max(0, reach >> ID_BLOCK_BITS)
        while len(ids) < size and high >= 0:
            lexemes: list[str] = []
            values: Params = [name]
            if priced:  # (the step at or above the upper price bound)
                lexemes.append("search_price_tsquery(%s::bigint)")
                values += priced
            if low > 0:  # (down to the first block: every block left, no block test)
                lexemes.append("to_tsquery('simple', %s)")
                values.append(" | ".join(f"r{b}" for b in range(high, low - 1, -1)))
            tests = ["d.tsv_name @@ to_tsquery('simple', %s)"]
            if lexemes:
                tests.append(f"d.tsv_filter @@ ({' && '.join(lexemes)})")
            sql = " AND ".join([*tests, "d.product_id < %s", *filters])
            values += [below, *params]
            cursor.execute(  # (`+ 0`: no order from the primary key, so no walk of it)
                f"SELECT d.product_id FROM {NAMES} d WHERE {sql} "  # noqa: S608
                f"ORDER BY d.product_id + 0 DESC LIMIT %s",
                [*values, size - len(ids)],
            )
            ids += [r[0] for r in cursor.fetchall()]
            below = low << ID_BLOCK_BITS
            high, low = low - 1, max(0, low - 2 * (high - low + 1))
        return ids if len(ids) == size else None

    @staticmethod
    def has_sku(cursor: CursorWrapper, plan: ranking.Plan) -> bool:
        """Whether a document has the query as one of its SKUs: one lookup in the GIN index
        of the SKU lines (`searchdoc_sku`, migration search 0013)."""
        sku = plan.sku.replace(SKU_SEPARATOR, " ")
        if not sku:
            return False
        cursor.execute(
            f"SELECT 1 FROM {TABLE} d "  # noqa: S608
            f"WHERE string_to_array(d.sku, E'\\n') @> ARRAY[%s] LIMIT 1",
            [sku],
        )
        return cursor.fetchone() is not None

    def shares(self, cursor: CursorWrapper, terms: list[str]) -> dict[str, float]:
        """The share of the documents that contain each term, from the planner's statistics
        (`ANALYZE` keeps the most common lexemes of the tsvector with their frequencies; a term
        not among them is rarer than all of those). No scan of the index. With DOCS, the
        table's rows, and PAGES, the pages of the narrow table a rank window is found in."""
        cursor.execute(
            "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples, "
            "(SELECT n.relpages FROM pg_class n WHERE n.relname = %s "
            "AND n.relnamespace = current_schema()::regnamespace) "
            "FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename "
            "WHERE s.schemaname = current_schema() AND s.tablename = %s AND s.attname = 'tsv' "
            "AND c.relnamespace = current_schema()::regnamespace",
            [NAMES, TABLE],
        )
        row = cursor.fetchone()
        if not row or not row[0] or (row[2] or 0) < COMMON_MIN_DOCS:
            return {}
        frequencies = dict(zip(row[0], row[1], strict=False))
        return {t: float(frequencies.get(t, 0.0)) for t in terms} | {
            DOCS: float(row[2]),
            PAGES: float(row[3] or 0),
        }

    def rank(
        self,
        plan: ranking.Plan,
        windowed: bool = False,
        shares: dict[str, float] | None = None,
    ) -> tuple[str, Params]:
        """`windowed`: the rows ranked are a rank window's (every word in the name)."""
        # (no `shares`: each signal is tested on the row's own tsvector, there is no set)
        parts = [f"(CASE WHEN {_SKU_TEST.format(find='strpos')} THEN %s ELSE 0 END)"]
        params: Params = [*_sku_params(plan), ranking.SKU]
        for signal in plan.signals:
            if _in_every_matched_row(plan, signal) or (
                windowed and _in_every_windowed_row(plan, signal)
            ):
                parts.append("%s")
                params.append(signal.weight)
                continue
            # name signals on the names' tsvector: a few words per row, not the description
            column = "tsv_name" if signal.fields == ranking.NAME else "tsv"
            parts.append(f"(CASE WHEN d.{column} @@ to_tsquery('simple', %s) THEN %s ELSE 0 END)")
            params += [_ts_all(signal.clauses, signal.fields), signal.weight]
        return " + ".join(parts), params

    def prefix(self, parsed_tokens: list[str]) -> tuple[str, Params]:
        *head, last = parsed_tokens
        expr = " <-> ".join([f"'{t}':A" for t in head] + [f"'{last}':*A"])
        return "d.tsv @@ to_tsquery('simple', %s)", [expr]

    def write(self, cursor: CursorWrapper, docs: list[Doc], ids: list[int]) -> None:
        """The narrow table's rows (`NAMES`), copied from the documents just written, in the
        same transaction (the tsvectors are generated columns)."""
        table = _write_table.get()
        cursor.execute(_names_upsert(table, _names_table(table)), [sorted(ids)])

    def delete(self, cursor: CursorWrapper, ids: list[int]) -> None:
        cursor.execute(
            f"DELETE FROM {_names_table(_write_table.get())} WHERE product_id = ANY(%s)",  # noqa: S608
            [sorted(ids)],
        )

    def clear(self, cursor: CursorWrapper) -> None:
        cursor.execute(f"DELETE FROM {NAMES}")  # noqa: S608

    def optimize(self, cursor: CursorWrapper) -> None:
        cursor.execute(f"ANALYZE {TABLE}")
        cursor.execute(f"ANALYZE {NAMES}")

    def close_words(self, cursor: CursorWrapper, token: str) -> set[str]:
        """Vocabulary words that look like `token` (pg_trgm similarity, GIN-indexed); without
        the extension, the words one edit away."""
        try:
            with transaction.atomic():
                cursor.execute("SET LOCAL pg_trgm.similarity_threshold = 0.3")
                cursor.execute(
                    f"SELECT word FROM {WORDS} WHERE word %% %s "  # noqa: S608
                    f"ORDER BY similarity(word, %s) DESC, word LIMIT 20",
                    [token, token],
                )
                return {w for (w,) in cursor.fetchall()}
        except Exception:
            return _words_one_edit_away(cursor, token)


_LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789"


def _edits1(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in _LETTERS]
    inserts = [a + c + b for a, b in splits for c in _LETTERS]
    return set(deletes + transposes + replaces + inserts) - {word}


class DatabaseBackend(SearchBackend):
    name = "database"

    def __init__(self, **_options: Any) -> None:
        pass

    @property
    def text(self) -> "_PostgresText | _SqliteText":
        return _PostgresText() if connection.vendor == "postgresql" else _SqliteText()

    # --- writes ---

    def index_many(self, docs: list[Doc]) -> int:
        with transaction.atomic():
            return self._write(docs)

    def _write(self, docs: list[Doc], *, cleared: bool = False) -> int:
        """`cleared`: inside a SQLite rebuild, after `clear` (nothing to delete first)."""
        if not docs:
            return 0
        _bump_generation()
        # Raw upsert: the ORM's bulk_create compiles SQL per field and row, which dominated a
        # 100,000-product reindex; ON CONFLICT works on SQLite >= 3.24 and PostgreSQL alike.
        created = SearchDocument._meta.get_field("created")
        rows = [_row(d, created) for d in docs]
        text = self.text
        with connection.cursor() as cursor:
            cursor.executemany(_upsert(_write_table.get()), rows)
            if cleared and isinstance(text, _SqliteText):
                text.insert(cursor, docs)
            else:
                text.write(cursor, docs, [d["id"] for d in docs])
            _add_words(cursor, docs)
        return len(docs)

    def delete_many(self, ids: list[int]) -> int:
        ids = list(ids)
        if not ids:
            return 0
        _bump_generation()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {_write_table.get()} "  # noqa: S608
                f"WHERE product_id IN ({','.join(['%s'] * len(ids))})",
                ids,
            )
            deleted = cursor.rowcount
            self.text.delete(cursor, ids)
        return int(deleted)

    def clear(self) -> None:
        _bump_generation()
        with transaction.atomic():
            SearchDocument.objects.all().delete()
            SearchWord.objects.all().delete()
            with connection.cursor() as cursor:
                self.text.clear(cursor)

    def rebuild(
        self,
        docs_iter: Iterable[list[Doc]],
        *,
        after_load: Callable[[], object] | None = None,
        progress: Callable[[int], object] | None = None,
    ) -> int:
        """One transaction: readers keep seeing the old rows until the new ones commit.
        PostgreSQL loads a fresh table and builds its indexes after (`pg_rebuild`).

        SQLite: the batches are written without a savepoint each and without deleting their
        ids first, into a bigger FTS5 write buffer (`_SqliteText.load`). Each savepoint's
        release and each delete made FTS5 write its buffer out as a segment and merge, once
        per batch of 1,000: into an empty table that work grew with the table (the last
        100,000 of a first build of 1,000,000 products took 130-140 s, the first 15 s;
        783 docs/s against 4,606 at 100,000)."""
        if connection.vendor == "postgresql":
            return self._rebuild_postgres(docs_iter, after_load=after_load, progress=progress)
        total = 0
        text = _SqliteText()
        with transaction.atomic():
            self.clear()
            with connection.cursor() as cursor:
                text.load(cursor)
            for docs in docs_iter:
                total += self._write(docs, cleared=True)
                if progress:
                    progress(total)
            if after_load:
                after_load()
            with connection.cursor() as cursor:
                text.optimize(cursor)
        return total

    def _rebuild_postgres(
        self,
        docs_iter: Iterable[list[Doc]],
        *,
        after_load: Callable[[], object] | None,
        progress: Callable[[int], object] | None,
    ) -> int:
        _bump_generation()
        created = SearchDocument._meta.get_field("created")

        def drain_into(new_table: str) -> None:
            # The changes made during the load go into the new table, before the switch:
            # meanwhile readers read the old table, and nothing holds them back.
            if after_load:
                token = _write_table.set(new_table)
                try:
                    after_load()
                finally:
                    _write_table.reset(token)

        with transaction.atomic():
            total = pg_rebuild.rebuild(
                table=TABLE,
                columns=COLUMNS,
                batches=docs_iter,
                to_row=lambda doc: _row(doc, created),
                on_batch=_add_words,
                before_switch=drain_into,
                progress=progress,
                # the vocabulary after the documents' lock, in the order a drain writes them
                before_load=lambda cursor: cursor.execute(f"DELETE FROM {WORDS}"),  # noqa: S608
                companions=[(NAMES, NAME_COLUMNS, _name_row)],
            )
        _bump_generation()
        return total

    def count(self) -> int:
        return SearchDocument.objects.count()

    def snapshot(self) -> dict[int, str]:
        return dict(SearchDocument.objects.values_list("product_id", "doc_hash"))

    # --- reads ---

    def run(self, query: Query) -> SearchResult:
        if query.parsed.empty:
            return self._run(query, None)
        common: frozenset[str] = frozenset()
        if query.sort == "relevance" and len(query.parsed.clauses) == 1:
            # One word only, ranked by relevance: with more words, or another order, a row left
            # out (the word in its description, another word in its name) could come first.
            common = self._common_words(query.parsed.folded)
        plan = ranking.plan(query.q, query.parsed, common)
        if plan.narrowed:  # a common word, in names only (search/ranking.py): when that finds
            result = self._run(query, plan)  # NARROWED_ENOUGH, it is the answer for every page
            if result.total >= NARROWED_ENOUGH:  # (not per page: the pages would not agree)
                return result
            plan = ranking.plan(query.q, query.parsed)
        return self._run(query, plan)

    def _common_words(self, terms: Iterable[str]) -> frozenset[str]:
        """The terms found in more than COMMON_SHARE of the documents."""
        terms = list(terms)
        known = self._shares_of(terms)
        return frozenset(t for t in terms if known.get(t, 0.0) > ranking.COMMON_SHARE)

    def _big_match(self, plan: ranking.Plan) -> bool:
        """Whether every word typed is in at least WINDOW_MIN_ROWS documents (an upper bound
        of the match from the same document frequencies): only such a match is worth a rank
        window (at 100,000 products the full rank of a 9,000-row match costs less). A clause's
        synonyms count too (`_clause_share`): "cafe", "organic", "cashew" are in few documents
        as typed, but their synonyms ("cà phê", "hữu cơ", "hạt điều") bring 30,000-65,000 rows
        at 1,000,000 products, which were ranked in full (SQLite 130-190 ms, PostgreSQL
        300-800 ms)."""
        known = self._shares_of([*(t for c in plan.recall for t in clause_terms(c)), DOCS])
        return is_big_match(plan, known)

    def _shares_of(self, terms: list[str]) -> dict[str, float]:
        """The share of the documents that contain each term (and, under DOCS, their number),
        kept in this process per index generation (every index write bumps it in the shared
        cache). With the shared cache down they are kept per SHARES_WITHOUT_CACHE_SECONDS
        instead, read from the database as ever: whether a query is a common word or gets a
        rank window must not change with the cache (page 1 ranked in a window and page 2 in
        full would not agree), and these shares move little between index writes."""
        global _shares
        try:
            generation = cache.get_or_set(GENERATION_KEY, 1, None)
        except Exception as exc:
            log.debug("search: word shares kept without the shared cache (%s)", exc)
            generation = None
        key = (connection.alias, connection.vendor)
        (kept_key, kept_generation, kept_at), known = _shares
        stale = (
            time.monotonic() - kept_at > SHARES_WITHOUT_CACHE_SECONDS
            if generation is None  # the last known shares, whatever their generation
            else kept_generation != generation
        )
        if kept_key != key or stale:
            known = {}
            _shares = ((key, generation, time.monotonic()), known)
        missing = [t for t in dict.fromkeys(terms) if t not in known]
        if missing:
            with connection.cursor() as cursor:
                found = self.text.shares(cursor, missing)
            known.update({t: found.get(t, 0.0) for t in missing})
        return known

    def _estimated_shares(self, plan: ranking.Plan) -> dict[str, float] | None:
        """The share of the documents holding each word of `plan` (SQLite only: how
        its rank signals are bounded, `_SqliteText._signal_bound`), or None. An estimate: a
        share read up to ESTIMATE_SECONDS ago serves, as it changes nothing a search finds; the
        index generation changes with every stock move, and reading a common word's share
        from the FTS5 vocabulary costs a few milliseconds."""
        if connection.vendor != "sqlite":
            return None
        clauses = [*plan.recall, *(c for signal in plan.signals for c in signal.clauses)]
        terms = list(dict.fromkeys(t for c in clauses for t in clause_terms(c)))
        now = time.monotonic()
        known = _estimates.setdefault(connection.alias, {})
        missing = [t for t in terms if now - known.get(t, (0.0, -1e9))[1] > ESTIMATE_SECONDS]
        if missing:
            with connection.cursor() as cursor:
                found = self.text.shares(cursor, missing)
            if not found:  # a small catalog: no estimates (the rule before them)
                return None
            known.update({t: (found.get(t, 0.0), now) for t in missing})
        return {t: known[t][0] for t in terms}

    def _run(self, query: Query, plan: ranking.Plan | None) -> SearchResult:
        where, params, join = self._where(query, plan)
        base = f"FROM {TABLE} d {join} WHERE {' AND '.join(where) or '1=1'}"
        offset = query.offset
        if query.cursor:
            values = decode_cursor(query.cursor)
            offset = (
                int(values[0]) if values and isinstance(values[0], int) and values[0] >= 0 else 0
            )
        by_rank = plan is not None and query.sort == "relevance"
        rank, rank_params = (
            self.text.rank(plan, shares=self._estimated_shares(plan))
            if by_rank and plan is not None
            else ("0", [])
        )
        order = _order(query, by_rank)
        seconds = facet_cache_seconds() if plan else browse_facet_cache_seconds()
        # a big text match keeps its facets as long as a browse does (see big_match_seconds)
        longest = max(seconds, big_match_seconds()) if plan else seconds
        key = _facet_cache_key(base, params, longest) if query.facets else None
        cached = _cache_get(key) if key else None
        with self.text.statement(text=plan is not None) as cursor:
            window = self._windowed(cursor, query, plan, order, offset) if by_rank else None
            if plan is not None and window is not None:
                ids = window
                facets, total = cached or self._counted(cursor, base, params, query, key, seconds)
            elif query.facets and cached is None and plan:
                ids, (facets, total) = self._match_once(
                    cursor, base, rank_params + params, rank, order, query, offset
                )
                keep = big_match_seconds() if total >= BIG_MATCH_ROWS else seconds
                if key and keep > 0:
                    _cache_set(key, (facets, total), max(keep, seconds))
            else:
                walked = (
                    self._price_walk(cursor, query, plan, offset)
                    if plan is not None and query.sort in PRICE_SORTS
                    else None
                )
                if walked is not None:
                    ids = walked
                else:
                    cursor.execute(*_page(base, rank, rank_params + params, order, query, offset))
                    ids = [r[0] for r in cursor.fetchall()]
                facets, total = cached or self._facets(
                    cursor, base, params, query.facets, key=key, seconds=seconds
                )
        result = SearchResult(ids=ids, total=total, facets=facets)
        if offset + len(ids) < total:
            result.next_cursor = encode_cursor([offset + len(ids)])
        return result

    def _price_walk(
        self, cursor: CursorWrapper, query: Query, plan: ranking.Plan, offset: int
    ) -> list[int] | None:
        """SQLite: a page of a text match sorted by price, read by walking the price index
        (`searchdoc_price`) and testing the text on each row, as PostgreSQL does, when the
        match is dense enough for the page to be among the first rows of the walk; None
        (the match sorted in full) otherwise. Sorting a big match meant looking up every
        matching row in the documents' table: "trai" at 1,000,000 products, 117,000 rows,
        150-400 ms. The walk reads at most `limit` index rows (the page needs `offset +
        size` matches; the estimated share of matching rows says how many rows hold them,
        with a margin) and gives up, for the full sort, when they do not fill the page: the
        rows it found are then all the matches among those first rows, so a full page from
        them is the page the full sort gives. Rows without a price sort after every price
        (`_order`): the walk, over priced rows, only answers pages it fills."""
        if connection.vendor != "sqlite":
            return None
        shares = self._shares_of([*(t for c in plan.recall for t in clause_terms(c)), DOCS])
        docs = shares.get(DOCS, 0.0)
        if docs < WALK_MIN_DOCS:
            return None
        density = _estimated_density(plan, shares)
        need = offset + query.size
        if density <= 0 or need / density > WALK_MAX_ROWS:
            return None
        limit = int(min(WALK_MAX_ROWS, max(WALK_MIN_ROWS, WALK_MARGIN * need / density)))
        if limit > WALK_PER_MATCH * density * docs:
            return None  # a small match: looking its rows up and sorting them costs less
        # test each walked row's text (an FTS5 lookup per row, ~16 us), or the match once
        # into a set (~0.16 us per matching row): whichever reads less
        per_row = limit * 100 < density * docs
        text = (
            "EXISTS (SELECT 1 FROM search_fts WHERE search_fts MATCH %s AND rowid = w.product_id)"
            if per_row
            else "w.product_id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH %s)"
        )
        # the price bounds narrow the walk in the index; the other filters are tested on
        # the rows whose text matches (a table lookup each)
        filters = list(_filters(query))
        priced = [f for f in filters if f[0].startswith("d.price_vnd ")]
        others = [f for f in filters if not f[0].startswith("d.price_vnd ")]
        walk = " AND ".join(["d.price_vnd IS NOT NULL", *(sql for sql, _ in priced)])
        tests = " AND ".join([text, *(sql for sql, _ in others)])
        way = "DESC" if query.sort == "price_desc" else "ASC"
        cursor.execute(
            f"SELECT w.product_id FROM (SELECT d.product_id, d.price_vnd "  # noqa: S608
            f"FROM {TABLE} d INDEXED BY searchdoc_price WHERE {walk} "
            f"ORDER BY d.price_vnd {way}, d.product_id {way} LIMIT %s) w "
            f"JOIN {TABLE} d ON d.product_id = w.product_id WHERE {tests} "
            f"ORDER BY w.price_vnd {way}, w.product_id {way} LIMIT %s OFFSET %s",
            [*(p for _, v in priced for p in v), limit, self.text.match(plan)[1][0]]
            + [p for _, v in others for p in v]
            + [query.size, offset],
        )
        ids = [r[0] for r in cursor.fetchall()]
        return ids if len(ids) == query.size else None

    def _windowed(
        self,
        cursor: CursorWrapper,
        query: Query,
        plan: ranking.Plan | None,
        order: str,
        offset: int,
    ) -> list[int] | None:
        """The page of a big match ranked by relevance, from its rank window: when at least
        `rank_window()` rows have every word of the query in their name, only the newest that
        many of them are ranked (None: fewer, rank every match). Every other row would rank
        below all of them (a name without every word scores under NAME_ALL), so the first
        pages come from them either way; what the window gives up is an older row that a
        tie-break (shorter name, more orders) would have put first. Pages past the window
        rank the rest of the match in full. A query with a digit may be a SKU (which outranks
        the name): it is windowed only when no document has that SKU (`has_sku`: "gao st25",
        21,800 rows ranked in full at 1,000,000 products, SQLite 130 ms, PostgreSQL 140-430
        ms)."""
        size = rank_window()
        if plan is None or size <= 0:
            return None
        text = self.text
        if any(c.isdigit() for c in plan.sku) and text.has_sku(cursor, plan):
            return None
        if not self._big_match(plan):
            return None
        past = offset + query.size > size  # (deep pages: the whole window, then the rest)
        filters = list(_filters(query))
        sql, params = [s for s, _ in filters], [p for _, v in filters for p in v]
        if isinstance(text, _SqliteText):
            if not window.can_score(plan):
                return None
            rows = text.window_rows(cursor, plan, sql, params, size)
            if len(rows) < size:
                return None
            ranked = window.page(rows, plan, size, 0)
        else:
            known = self._shares_of([DOCS, PAGES])
            table = (known.get(DOCS, 0.0), known.get(PAGES, 0.0))
            window_ids = text.window_ids(cursor, plan, sql, params, size, table, query.price_max)
            if window_ids is None:
                return None
            ranked = self._window_page(
                cursor, plan, window_ids, order, size if past else offset + query.size
            )
        ids = ranked[offset : offset + query.size]
        if past:
            ids += self._past_window(
                cursor, query, plan, order, ranked, max(0, offset - size), query.size - len(ids)
            )
        return ids

    def _window_page(
        self,
        cursor: CursorWrapper,
        plan: ranking.Plan,
        window_ids: list[int],
        order: str,
        limit: int,
    ) -> list[int]:
        """The first `limit` rows of the window, ranked (PostgreSQL): its rows by id (each has
        every word in the name, so the recall holds, and the filters kept it)."""
        rank, rank_params = self.text.rank(plan, windowed=True)
        cursor.execute(
            f"SELECT d.product_id, {rank} AS r FROM {TABLE} d "  # noqa: S608
            f"WHERE d.product_id = ANY(%s) ORDER BY {order} LIMIT %s",
            [*rank_params, window_ids, limit],
        )
        return [r[0] for r in cursor.fetchall()]

    def _past_window(
        self,
        cursor: CursorWrapper,
        query: Query,
        plan: ranking.Plan,
        order: str,
        window_ids: list[int],
        offset: int,
        limit: int,
    ) -> list[int]:
        """Rows of the match outside the window, ranked in full: the pages after it."""
        where, params, join = self._where(query, plan)
        rank, rank_params = self.text.rank(plan)
        where.append(f"d.product_id NOT IN ({','.join(['%s'] * len(window_ids))})")
        cursor.execute(
            f"SELECT d.product_id, {rank} AS r FROM {TABLE} d {join} "  # noqa: S608
            f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT %s OFFSET %s",
            rank_params + params + window_ids + [limit, offset],
        )
        return [r[0] for r in cursor.fetchall()]

    def _counted(
        self,
        cursor: CursorWrapper,
        base: str,
        params: Params,
        query: Query,
        key: str | None,
        seconds: int,
    ) -> tuple[Facets, int]:
        """Total and facets of a whole text match whose page came from a rank window: counted
        without the rank, and kept like any big match's (`big_match_seconds`)."""
        if not query.facets:
            cursor.execute(f"SELECT count(*) {base}", params)
            return {}, cursor.fetchone()[0]
        _ids, counted = self._match_once(
            cursor, base, params, "0", _order(query, True), query, 0, limit=0
        )
        keep = big_match_seconds() if counted[1] >= BIG_MATCH_ROWS else seconds
        if key and keep > 0:
            _cache_set(key, counted, max(keep, seconds))
        return counted

    def _where(self, query: Query, plan: ranking.Plan | None) -> tuple[list[str], Params, str]:
        where: list[str] = []
        params: Params = []
        join = ""
        if plan is not None:
            sql, text_params = self.text.match(plan)
            join = self.text.join
            where.append(sql)
            params += text_params
        for sql, value in _filters(query):
            where.append(sql)
            params += value
        return where, params, join

    def _facets(
        self,
        cursor: CursorWrapper,
        base: str,
        params: Params,
        wanted: bool,
        *,
        key: str | None,
        seconds: int = 0,
    ) -> tuple[Facets, int]:
        """Total and facet counts over the matching rows (cached briefly when configured)."""
        if not wanted:
            cursor.execute(f"SELECT count(*) {base}", params)
            return {}, cursor.fetchone()[0]
        result = self._count_facets(cursor, base, params)
        if key:
            _cache_set(key, result, seconds)
        return result

    def _match_once(
        self,
        cursor: CursorWrapper,
        base: str,
        params: Params,
        rank: str,
        order: str,
        query: Query,
        offset: int,
        limit: int | None = None,
    ) -> tuple[list[int], tuple[Facets, int]]:
        """A text search with facets in one statement: the match (and its rank) runs once into
        a materialised set, which gives the page of ids and both facet GROUP BYs (PostgreSQL
        matched the text twice otherwise: 300 ms of a 100,000-row "sắn"). The page rows carry
        their position, as UNION ALL parts may come back in any order (parallel append)."""
        order = order.replace("d.", "m.")
        on_page = order.replace("m.", "page.")
        cursor.execute(
            f"WITH m AS MATERIALIZED (SELECT d.product_id, {rank} AS r, d.price_vnd, d.created, "  # noqa: S608
            f"d.name_len, d.orders, d.cooperative_id, d.category_id, d.province_id, "
            f"d.facet_bits, d.options {base}), "
            f"g AS MATERIALIZED (SELECT cooperative_id, category_id, province_id, count(*) AS n "
            f"FROM m GROUP BY cooperative_id, category_id, province_id) "
            f"SELECT 2, page.product_id, row_number() OVER (ORDER BY {on_page}), NULL, NULL, NULL "
            f"FROM (SELECT m.product_id, m.r, m.price_vnd, m.created, m.name_len, m.orders "
            f"FROM m ORDER BY {order} LIMIT %s OFFSET %s) page UNION ALL "
            + _ROLLED
            + " UNION ALL "
            + _BITS.format(p="", src="FROM m"),
            params + [query.size if limit is None else limit, offset],
        )
        rows = cursor.fetchall()
        page = sorted((r for r in rows if r[0] == 2), key=lambda r: r[2])
        return [r[1] for r in page], _tally([r for r in rows if r[0] != 2])

    def _count_facets(self, cursor: CursorWrapper, base: str, params: Params) -> tuple[Facets, int]:
        """A browse's two GROUP BYs, read off covering indexes (no sort, no table lookups):
        (cooperative, category, province) and the packed small facets (`packed.py`)."""
        cursor.execute(
            _GROUPS.format(p="d.", src=base) + " UNION ALL " + _BITS.format(p="d.", src=base),
            params + params,
        )
        return _tally(cursor.fetchall())

    def close_words(self, token: str) -> set[str]:
        """Indexed name/context words close to `token`, the token itself included if known."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {WORDS} WHERE word = %s", [token])  # noqa: S608
            if cursor.fetchone():
                return {token}
            return self.text.close_words(cursor, token)

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        parsed_tokens = tokens(prefix[:100])[:6]
        if not parsed_tokens:
            return []
        sql, params = self.text.prefix(parsed_tokens)
        join = self.text.join
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT d.name_vi FROM {TABLE} d {join} WHERE {sql} "  # noqa: S608 (see the note at the top)
                f"ORDER BY length(d.name_vi), d.product_id LIMIT %s",
                params + [limit * 3],
            )
            names: list[str] = []
            for (name,) in cursor.fetchall():
                if name not in names:
                    names.append(name)
        return names[:limit]


def _page(
    base: str, rank: str, params: Params, order: str, query: Query, offset: int
) -> tuple[str, Params]:
    """The page's statement and its parameters (`params`: the rank's and the match's).
    PostgreSQL's price-descending order puts NULL prices last, as SQLite does; the price
    index (`searchdoc_price`, NULLs last) read backwards gives them first, so that order
    fetched and sorted every matching row (a browse at 1,000,000 products: every row).
    There it is two walks of the index, the priced rows backwards and the unpriced ones
    (`price_vnd IS NULL`: the index's last range, by id), each stopping once it holds the
    page, and the page taken from both: the same rows in the same order."""
    if query.sort != "price_desc" or connection.vendor != "postgresql" or rank != "0":
        return (
            f"SELECT d.product_id, {rank} AS r {base} ORDER BY {order} LIMIT %s OFFSET %s",
            [*params, query.size, offset],
        )
    # (`base` ends in its WHERE; a price sort has no rank: "0", no parameters)
    part = (
        "(SELECT d.product_id, d.price_vnd {base} AND d.price_vnd IS {test} ORDER BY {by} LIMIT %s)"
    )
    priced = part.format(base=base, test="NOT NULL", by="d.price_vnd DESC, d.product_id DESC")
    unpriced = part.format(base=base, test="NULL", by="d.product_id DESC")
    return (
        f"SELECT p.product_id, 0 AS r FROM ({priced} UNION ALL {unpriced}) p "  # noqa: S608
        f"ORDER BY p.price_vnd IS NULL, p.price_vnd DESC, p.product_id DESC LIMIT %s OFFSET %s",
        [*params, offset + query.size, *params, offset + query.size, query.size, offset],
    )


def _order(query: Query, by_rank: bool) -> str:
    """ORDER BY of a page: the rank and its tie-breaks (search/ranking.py), or a sort."""
    if query.sort == "price_asc":
        if connection.vendor == "postgresql":
            # The same order (PostgreSQL puts NULLs last in ASC): written as the price index
            # (`searchdoc_price`) is ordered, so a price sort walks it and tests the text on
            # each row until the page is full ("trai" at 1,000,000 products: 117,000
            # matches fetched and sorted, 970 ms, against 2.5 ms walking the index).
            return "d.price_vnd ASC, d.product_id ASC"
        return "d.price_vnd IS NULL, d.price_vnd ASC, d.product_id ASC"
    if query.sort == "price_desc":
        return "d.price_vnd IS NULL, d.price_vnd DESC, d.product_id DESC"
    if by_rank:
        return "r DESC, d.name_len ASC, d.orders DESC, d.created DESC, d.product_id DESC"
    return "d.created DESC, d.product_id DESC"


# A text match's (cooperative, category, province) groups, counted per facet in SQL: up to a
# third as many groups as matching rows ("sắn": 29,000) were tallied in Python before; only the
# cooperatives the engines would return (the 20 biggest) come back. Kinds 3, 4, 5 of `_tally`
# (the 0s and CASTs: PostgreSQL types a UNION column from its values, left to right, and a
# sum() of bigint counts is a numeric).
_ROLLED = (
    "SELECT 3, c.cooperative_id, NULL, 0, NULL, c.n FROM (SELECT cooperative_id, "  # noqa: S608
    "CAST(sum(n) AS BIGINT) AS n "
    "FROM g GROUP BY cooperative_id ORDER BY sum(n) DESC, cooperative_id "
    f"LIMIT {COOPERATIVE_FACET_SIZE}) c "
    "UNION ALL SELECT 4, NULL, category_id, 0, NULL, CAST(sum(n) AS BIGINT) FROM g "
    "GROUP BY category_id UNION ALL SELECT 5, NULL, NULL, province_id, NULL, "
    "CAST(sum(n) AS BIGINT) FROM g GROUP BY province_id"
)
_GROUPS = (
    "SELECT 0, {p}cooperative_id, {p}category_id, {p}province_id, NULL, count(*) {src} "
    "GROUP BY {p}cooperative_id, {p}category_id, {p}province_id"
)
# The packed small facets and the variant options together: one GROUP BY (a covering index on
# a browse), so the option facets need no scan of their own.
_BITS = (
    "SELECT 1, {p}facet_bits, NULL, NULL, {p}options, count(*) {src} "
    "GROUP BY {p}facet_bits, {p}options"
)


def _tally(rows: Iterable[tuple[Any, ...]]) -> tuple[Facets, int]:
    """Facet counts and total from the rows of `_GROUPS` (kind 0), `_BITS` (kind 1: the
    packed facets and the variant options) and `_ROLLED` (kinds 3-5)."""
    facets: Facets = {name: {} for name in (*FACETS, *OPTION_FIELDS)}
    total = 0
    for kind, a, b, c, options, n in rows:
        if kind >= 3:  # rolled up in SQL: the category rows (NULL too) add up to the total
            facet, value = {3: ("cooperative", a), 4: ("category", b), 5: ("province", c)}[kind]
            if kind == 4:
                total += n
            if value is not None:
                facets[facet][value] = n
            continue
        if kind == 0:
            total += n
            for facet, value in (("cooperative", a), ("category", b), ("province", c)):
                if value is not None:
                    facets[facet][value] = facets[facet].get(value, 0) + n
            continue
        for facet, value in (*unpack(a), *_options(options)):
            facets[facet][value] = facets[facet].get(value, 0) + n
    facets["category"] = _roll_up(facets["category"])
    return facets, total


COLUMNS = [f.column for f in SearchDocument._meta.concrete_fields if f.column]  # all have one
# Where the writes go: the documents' table, or during a PostgreSQL rebuild's final drain the
# new table that is about to take its place (`_rebuild_postgres`).
_write_table: ContextVar[str] = ContextVar("search_write_table", default=TABLE)
_NAME_POSITIONS = [COLUMNS.index(c) for c in NAME_COLUMNS]


def _names_table(documents_table: str) -> str:
    """The narrow table beside `documents_table` (during a rebuild's drain, the new one)."""
    return NAMES + documents_table[len(TABLE) :]


@lru_cache(maxsize=4)
def _names_upsert(documents_table: str, names_table: str) -> str:
    """The narrow table's rows of the ids `%s` (an array), from the documents' table."""
    columns = ", ".join(NAME_COLUMNS)
    return (
        f"INSERT INTO {names_table} ({columns}) SELECT {columns} FROM {documents_table} "  # noqa: S608
        f"WHERE product_id = ANY(%s) ORDER BY product_id "
        f"ON CONFLICT (product_id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in NAME_COLUMNS if c != "product_id")
    )


def _name_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """The narrow table's row (NAME_COLUMNS) of a documents' row (`_row`, COLUMNS)."""
    return tuple(row[i] for i in _NAME_POSITIONS)


@lru_cache(maxsize=4)
def _upsert(table: str) -> str:
    return (
        f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))}) "  # noqa: S608 (see the note at the top)
        f"ON CONFLICT (product_id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "product_id")
    )


def _row(doc: Doc, created_field: "Field[Any, Any]") -> tuple[Any, ...]:
    # On SQLite the text lives in the FTS5 table only: a narrow row keeps facet scans fast.
    text = connection.vendor != "sqlite"
    values = {
        "product_id": doc["id"],
        "name_vi": doc["name_vi"],
        "name_en": doc["name_en"] or "",
        "name_exact": doc["name_exact"] if text else "",
        "name_fold": doc["name_fold"] if text else "",
        "context_fold": doc["context_fold"] if text else "",
        "name_len": doc["name_len"],
        "orders": doc["orders"],
        "sku": SKU_SEPARATOR.join(doc["sku"]),
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


def _option_tokens(doc: Doc) -> list[str]:
    return [f"{name}:{v}" for name, field in OPTION_FIELDS.items() for v in doc.get(field, [])]


@lru_cache(maxsize=4096)
def _options(options: str | None) -> tuple[tuple[str, str], ...]:
    """The (option facet, value) pairs of one `options` column value (a JSON list)."""
    pairs = (token.partition(":") for token in json.loads(options or "[]"))
    return tuple((name, value) for name, _sep, value in pairs if name in OPTION_FIELDS)


def _add_words(cursor: CursorWrapper, docs: list[Doc]) -> None:
    cursor.executemany(
        f"INSERT INTO {WORDS} (word) VALUES (%s) ON CONFLICT (word) DO NOTHING",  # noqa: S608
        [(w,) for w in sorted(_words(docs))],
    )


def _words(docs: list[Doc]) -> set[str]:
    """Words a buyer may mistype: those of names and context (not descriptions, not numbers)."""
    return {
        w
        for d in docs
        for w in tokens(f"{d['name_fold']} {d['context_fold']}")
        if 2 <= len(w) <= 100 and not w.isdigit()
    }


def _filters(query: Query) -> Iterator[tuple[str, Params]]:
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


# How much of a SQLite database file each connection memory-maps (`tune_sqlite`); SQLite
# lowers it to its compile-time ceiling (SQLITE_MAX_MMAP_SIZE, 0x7fff0000 by default).
SQLITE_MMAP_BYTES = 0x7FFF0000


def tune_sqlite(sender: object, connection: BaseDatabaseWrapper, **_kwargs: Any) -> None:
    """`connection_created` receiver: SQLite's defaults (2 MB page cache, temp B-trees on disk)
    make every facet scan re-read the index pages; a bigger cache, memory-mapped reads and
    in-memory temp structures keep them in RAM. Per connection, so no settings change needed.
    The map covers up to SQLITE_MMAP_BYTES of the file (SQLite's own ceiling, ~2 GiB, in the
    builds Python ships): a catalog of 1,000,000 products is a 3.3 GB file, and pages past a
    256 MB map were read through the page cache with a system call each (a rank window's
    2,000 rows: 55-90 ms of wall clock for 31-34 ms of CPU, against 30-35 ms mapped).
    Mapping takes address space only; the pages are the operating system's file cache."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size = -65536")  # KiB: 64 MB
        cursor.execute(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")
        cursor.execute("PRAGMA temp_store = MEMORY")


def facet_cache_seconds() -> int:
    return getattr(settings, "SEARCH_FACET_CACHE_SECONDS", 30)


def browse_facet_cache_seconds() -> int:
    """Facets of a browse (no words) are counted over most of the catalog (every row at
    100,000 products: the slowest requests), and only a few filter sets are asked for: they are
    kept until the next index write (the generation in the key) or this many seconds."""
    return getattr(settings, "SEARCH_BROWSE_FACET_CACHE_SECONDS", 600)


def rank_window() -> int:
    """How many of a big match's rows are ranked at most (`DatabaseBackend._windowed`; the
    engines: `EngineBackend.window_bound`)."""
    return int(getattr(settings, "SEARCH_RANK_WINDOW", 2000))


def window_min_docs() -> int:
    """A rank window only in a catalog of this many documents (settings
    SEARCH_RANK_WINDOW_MIN_DOCS, default WINDOW_MIN_DOCS; tests lower it)."""
    return int(getattr(settings, "SEARCH_RANK_WINDOW_MIN_DOCS", WINDOW_MIN_DOCS))


def window_min_rows() -> int:
    """... and only for a match whose every clause is in this many times `rank_window()`
    documents (settings SEARCH_RANK_WINDOW_MIN_ROWS, default WINDOW_MIN_ROWS)."""
    return int(getattr(settings, "SEARCH_RANK_WINDOW_MIN_ROWS", WINDOW_MIN_ROWS))


def is_big_match(plan: ranking.Plan, shares: dict[str, float]) -> bool:
    """The rank window's size test, the same on every backend (docs/search.md "Ranking"):
    the catalog (`shares[DOCS]`) holds at least `window_min_docs()` documents and every clause
    of the recall (its alternatives' words, any field: `_clause_share`) at least
    `window_min_rows()` x `rank_window()` of them. `shares`: each word's share of the
    documents, the database's from its full-text vocabulary, the engines' counted by them."""
    fewest = min((_clause_share(c, shares) for c in plan.recall), default=0.0)
    docs = shares.get(DOCS, 0.0)
    return docs >= window_min_docs() and fewest * docs >= window_min_rows() * rank_window()


def big_match_seconds() -> int:
    """Facets of a text match of BIG_MATCH_ROWS or more (a common word: "qua", "cà phê", "tea")
    cost a scan and two GROUP BYs of thousands of rows, and buyers page and re-sort the same
    query: kept like a browse's, until the next index write or this many seconds (the browse
    setting). The page itself (rank and order) is computed every time."""
    return browse_facet_cache_seconds()


def _facet_cache_key(base: str, params: Params, seconds: int) -> str | None:
    """Facet counts over a big match (browsing, a common word) cost a scan of the matching rows;
    buyers paging or re-sorting ask the same again. Cached briefly, and keyed by an index
    generation that every index write bumps (in the shared cache), so writes show at once."""
    if seconds <= 0:
        return None
    try:
        generation = cache.get_or_set(GENERATION_KEY, 1, None)
    except Exception as exc:  # the shared cache (Redis) is down: count, do not cache
        log.warning("search facet cache unavailable: %s", exc)
        return None
    digest = hashlib.sha1(
        repr((connection.alias, base, params)).encode(), usedforsecurity=False
    ).hexdigest()
    return f"search:facets:{generation}:{digest}"


def _bump_generation() -> None:
    """A cache that is down must not fail the index write (bench/faults.py, Redis stopped: the
    search sync failed on this bump). Nothing is served from a cache that is down; entries
    written before an outage may outlive it by their timeout at most."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        _cache_set(GENERATION_KEY, 2, None)
    except Exception as exc:
        log.warning("search facet cache generation not bumped: %s", exc)


def _cache_get(key: str) -> Any:
    try:
        return cache.get(key)
    except Exception as exc:
        log.warning("search facet cache unavailable: %s", exc)
        return None


def _cache_set(key: str, value: object, seconds: int | None) -> None:
    try:
        cache.set(key, value, seconds)
    except Exception as exc:
        log.warning("search facet cache unavailable: %s", exc)


# connection alias -> {term: (estimated share of the documents, when read)}
_estimates: dict[str, dict[str, tuple[float, float]]] = {}
# ((connection alias, vendor), index generation or None, when read) -> {term: share of the documents}
_shares: tuple[tuple[tuple[str, str] | None, Any, float], dict[str, float]] = (
    (None, None, 0.0),
    {},
)
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
    for counted, n in counts.items():
        category: int | None = counted
        seen: set[int] = set()
        while category is not None and category not in seen:
            seen.add(category)
            rolled[category] = rolled.get(category, 0) + n
            category = parents.get(category)
    return rolled


__all__ = ["DatabaseBackend", "parse"]
