"""The one search-backend interface, the query and result types every backend shares."""

import abc
import base64
import json
from dataclasses import dataclass, field
from typing import Any

from search.text import ParsedQuery, parse

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


def encode_cursor(values: list) -> str:
    return (
        base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode())
        .decode()
        .rstrip("=")
    )


def decode_cursor(cursor: str) -> list | None:
    """The sort values of the last hit, or None when the cursor is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, TypeError):
        return None
    if not isinstance(values, list) or not 1 <= len(values) <= 3:
        return None
    if not all(isinstance(v, (int, float, str)) and not isinstance(v, bool) for v in values):
        return None
    return values


class BackendUnavailable(Exception):
    """The engine could not answer (down, timeout, rejected request). Never shown raw to users."""


class SearchBackend(abc.ABC):
    """Index and query purchasable products. Documents come from `search.documents`."""

    name = "base"

    @abc.abstractmethod
    def index_many(self, docs: list[dict]) -> int: ...

    @abc.abstractmethod
    def delete_many(self, ids: list[int]) -> int: ...

    @abc.abstractmethod
    def search(self, query: Query) -> SearchResult: ...

    @abc.abstractmethod
    def suggest(self, prefix: str, limit: int = 8) -> list[str]: ...

    @abc.abstractmethod
    def rebuild(self, docs_iter, *, after_load=None, progress=None) -> int:
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

    def refresh(self) -> None:
        """Make writes visible to search (engines refresh periodically; tests need it now)."""

    @abc.abstractmethod
    def clear(self) -> None:
        """Drop everything (tests and benchmarks)."""
        ...

    @property
    def keeps_outbox(self) -> bool:
        """True while a rebuild is running: drains write to both indices but leave the outbox
        rows, so the rebuild re-drains them after its bulk load (no write can be lost)."""
        return False
