"""Consistency between the database and the index (used by `search_check`)."""

from dataclasses import dataclass, field

from search import product_documents as documents
from search.backends import SearchBackend


@dataclass
class Drift:
    missing: set[int] = field(default_factory=set)  # purchasable, not indexed
    extra: set[int] = field(default_factory=set)  # indexed, not purchasable (or deleted)
    stale: set[int] = field(default_factory=set)  # indexed document differs from the database's

    @property
    def total(self) -> int:
        return len(self.missing) + len(self.extra) + len(self.stale)


def current_hashes(batch_size: int = 1000) -> dict[int, str]:
    """`doc_hash` of every purchasable product's document as the database builds it now
    (the same builder as indexing, in batches: a few queries per batch, none per product)."""
    return {d["id"]: d["doc_hash"] for docs in documents.iter_all(batch_size) for d in docs}


def compare(backend: SearchBackend) -> Drift:
    backend.refresh()
    db = current_hashes()
    indexed = backend.snapshot()
    return Drift(
        missing=set(db) - set(indexed),
        extra=set(indexed) - set(db),
        stale={i for i in set(db) & set(indexed) if db[i] != indexed[i]},
    )
