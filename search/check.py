"""Consistency between the database and the index (used by `search_check`)."""
from dataclasses import dataclass, field

from catalog.selectors import product_list_purchasable
from search.backends import SearchBackend


@dataclass
class Drift:
    missing: set[int] = field(default_factory=set)  # purchasable, not indexed
    extra: set[int] = field(default_factory=set)  # indexed, not purchasable (or deleted)
    stale: set[int] = field(default_factory=set)  # indexed with another price

    @property
    def total(self) -> int:
        return len(self.missing) + len(self.extra) + len(self.stale)


def compare(backend: SearchBackend) -> Drift:
    backend.refresh()
    db = dict(product_list_purchasable().values_list("pk", "price_vnd"))
    indexed = backend.snapshot()
    return Drift(
        missing=set(db) - set(indexed),
        extra=set(indexed) - set(db),
        stale={i for i in set(db) & set(indexed) if db[i] != indexed[i]},
    )
