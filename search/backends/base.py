"""The one search-backend interface, the query and result types every backend shares."""

import abc
import base64
import difflib
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from market.shared import pagecache
from search.text import SYNONYMS, ParsedQuery, parse

SORTS = ("relevance", "price_asc", "price_desc", "newest")
MAX_SIZE = 100
# Past this many results, page numbers stop and the cursor takes over (the engines' default
# max_result_window; the database backend keeps the same limit so behaviour is identical).
MAX_WINDOW = 10_000
# Fixed price buckets for the price facet, VND: [from, to).
PRICE_BUCKETS = [
    (None, 50_000),
    (50_000, 100_000),
    (100_000, 200_000),
    (200_000, 500_000),
    (500_000, None),
]
FACETS = (
    "category",
    "province",
    "cooperative",
    "certification",
    "ocop_stars",
    "price",
    "in_stock",
    "incoterm",
    "pack",
    "grade",
    "crop_year",
)
# The cooperatives a facet lists (the most products first), as the engines' terms aggregation
# returns them (engine_query.FACET_FIELDS); the database backend counts only these too.
COOPERATIVE_FACET_SIZE = 20
# Facets (and filters) from the variants' option values: Query field -> document list field.
OPTION_FIELDS = {"pack": "packs", "grade": "grades", "crop_year": "crop_years"}


@dataclass(frozen=True)
class Query:
    """What a buyer asked for. Values are already validated (see `search.selectors`)."""

    q: str = ""
    category: int | None = None  # includes its descendants
    province: int | None = None
    cooperative: int | None = None
    certification: str | None = None  # Certification.Kind value
    ocop_stars: int | None = None  # at least this many stars
    price_min: int | None = None
    price_max: int | None = None
    in_stock: bool | None = None
    export_ready: bool | None = None  # has at least one Incoterm
    incoterm: str | None = None
    pack: str | None = None  # a variant of the family has this pack size
    grade: str | None = None
    crop_year: str | None = None
    sort: str = "relevance"
    page: int = 1
    size: int = 24
    cursor: str | None = None
    facets: bool = True

    @property
    def parsed(self) -> ParsedQuery:
        return parse(self.q)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


@dataclass
class SearchResult:
    ids: list[int]
    total: int
    facets: dict[str, dict[Any, int]] = field(default_factory=dict)
    suggestions: list[str] = field(default_factory=list)
    highlights: dict[int, dict[str, str]] = field(default_factory=dict)
    next_cursor: str | None = None
    corrected_query: str | None = None  # set when typos were corrected to find these results
    total_exact: bool = True
    # the facets whose counts are estimates (counted over part of a big match, then scaled);
    # the others are exact whatever `total_exact` says
    estimated_facets: frozenset[str] = frozenset()


SYNONYM_WORDS = {t for phrase in SYNONYMS for t in phrase}  # known words even if unindexed
TYPO_FEW = 2  # a query finding this many results or fewer gets its typos corrected
CANDIDATES_TRIED = 4  # close words tried per unknown word (each costs one count query)


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance."""
    prev2: list[int] = []  # the row before `prev` (read from the second row on)
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def rank_candidates(token: str, words: set[str]) -> list[str]:
    """Close words, most likely first: fewest edits; a doubled letter typed once too often
    ("caa" -> "ca"); most alike; then alphabetical (deterministic)."""
    limit = 1 if len(token) <= 5 else 2
    scored = []
    for w in words:
        distance = edit_distance(token, w)
        if 0 < distance <= limit:
            doubled = len(w) == len(token) - 1 and any(
                token[k] == token[k + 1] and token[:k] + token[k + 1 :] == w
                for k in range(len(token) - 1)
            )
            ratio = difflib.SequenceMatcher(None, token, w).ratio()
            scored.append((distance, not doubled, -ratio, w))
    return [w for *_, w in sorted(scored)]


def encode_cursor(values: list[Any]) -> str:
    return (
        base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode())
        .decode()
        .rstrip("=")
    )


def decode_cursor(cursor: str) -> list[Any] | None:
    """The sort values of the last hit, or None when the cursor is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, TypeError):
        return None
    if not isinstance(values, list) or not 1 <= len(values) <= 6:
        return None
    if not all(_cursor_value_ok(v) for v in values):
        return None
    return values


CURSOR_INT_MAX = 2**63 - 1  # sort values and offsets are 64-bit in every engine and database


def _cursor_value_ok(value: object) -> bool:
    """A cursor comes from the client: an integer beyond int64 (an OFFSET or a search_after value)
    or an infinite float would reach the database or engine and fail there with a 500."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -CURSOR_INT_MAX <= value <= CURSOR_INT_MAX
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str)


class BackendUnavailable(Exception):
    """The engine could not answer (down, timeout, rejected request). Never shown raw to users."""


class SearchBackend(abc.ABC):
    """Index and query purchasable products. Documents come from `search.product_documents`."""

    name = "base"

    @abc.abstractmethod
    def index_many(self, docs: list[dict[str, Any]]) -> int: ...

    @abc.abstractmethod
    def delete_many(self, ids: list[int]) -> int: ...

    def search(self, query: Query) -> SearchResult:
        """The results of `query`; when it finds few (TYPO_FEW or fewer), the results of the
        query with its unknown words corrected instead, if those are more, marked as such."""
        result = self.run(query)
        if query.parsed.empty or result.total > TYPO_FEW:
            return result
        fixed = self.correct(query)
        if not fixed:
            return result
        better = self.run(replace(query, q=fixed))
        if better.total <= result.total:
            return result
        better.corrected_query = fixed
        better.suggestions = [fixed]
        return better

    @abc.abstractmethod
    def run(self, query: Query) -> SearchResult:
        """The results of exactly `query` (no typo correction)."""
        ...

    @abc.abstractmethod
    def close_words(self, token: str) -> set[str]:
        """Indexed name/context words within a typo of folded `token`; {token} if it is one."""
        ...

    def correct(self, query: Query) -> str | None:
        """`query` with each word the index does not know (3+ letters) replaced by the close
        known word that finds the most products together with the other words as typed: so a
        typo in a short syllable ("caa phe", "chee") is fixed without matching everything."""
        parsed = query.parsed
        words, changed = list(parsed.exact), False
        for i, token in enumerate(parsed.folded):
            if len(token) < 3 or token.isdigit() or token in SYNONYM_WORDS:
                continue
            close = self._close_words_shared(token)
            if token in close:
                continue
            candidates = rank_candidates(token, close)[:CANDIDATES_TRIED]
            if not candidates:
                continue
            # The likeliest by default (a later word may be mistyped too, so that no trial
            # finds anything yet); another one if it finds more with the words around it.
            best, best_total = candidates[0], 0
            for candidate in candidates:
                trial = " ".join(words[:i] + [candidate] + words[i + 1 :])
                total = self.run(Query(q=trial, size=1, facets=False)).total
                if total > best_total:
                    best, best_total = candidate, total
            words[i], changed = best, True
        return " ".join(words) if changed else None

    def _close_words_shared(self, token: str) -> set[str]:
        """`close_words(token)`, shared briefly between processes (market.shared.pagecache): the
        index's words do not depend on the filters, and a filtered search that finds few
        results (most do: a category in a province) asks for the same common words again and
        again (two engine requests each) only to learn that they are known."""
        return pagecache.cached(
            f"search-words-{self.name}",
            token,
            lambda: self.close_words(token),
            keep=lambda words: True,
        )

    @abc.abstractmethod
    def suggest(self, prefix: str, limit: int = 8) -> list[str]: ...

    @abc.abstractmethod
    def rebuild(
        self,
        docs_iter: Iterable[list[dict[str, Any]]],
        *,
        after_load: Callable[[], object] | None = None,
        progress: Callable[[int], object] | None = None,
    ) -> int:
        """Replace the whole index with `docs_iter` (batches of documents) without a gap for
        readers; `after_load()` runs after the bulk load and before readers switch over."""
        ...

    @abc.abstractmethod
    def count(self) -> int: ...

    @abc.abstractmethod
    def snapshot(self) -> dict[int, str]:
        """Every indexed product id with its document's `doc_hash` ("" when indexed before
        hashes existed), for `search_check`."""
        ...

    # An optional hook, not abstract: the database backend's writes are visible at once.
    def refresh(self) -> None:  # noqa: B027
        """Make writes visible to search (engines refresh periodically; tests need it now)."""

    @abc.abstractmethod
    def clear(self) -> None:
        """Drop everything (tests and benchmarks)."""
        ...

    def outdated(self) -> str | None:
        """Why the index must be rebuilt before it answers as this code expects (built by older
        code with another layout), or None. The database backend's table follows migrations."""
        return None

    @property
    def keeps_outbox(self) -> bool:
        """True while a rebuild is running: drains write to both indices but leave the outbox
        rows, so the rebuild re-drains them after its bulk load (no write can be lost)."""
        return False
