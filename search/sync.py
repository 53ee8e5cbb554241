"""Keep the index in step with the database through the outbox (`market.OutboxEvent`).

The outbox row is written in the same transaction as the change, so a rolled-back change never
reaches the index. A drain reads rows in id order, rebuilds each touched product's document from
the database as it is *now* (so replays are harmless), writes the index, and only then deletes
exactly the rows it processed: a crash at any point leaves them for the next drain.
"""

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

from catalog.models import Category, Certification, Product
from market.background import broker_configured, enqueue
from market.models import OutboxEvent
from market.shared import pagecache
from search import product_documents as documents
from search.backends import SearchBackend, get_backend, get_fallback
from search.backends.database import TABLE as DOCUMENTS_TABLE
from search.cards import card_generation_bump

log = logging.getLogger("htx.search")

BATCH_SIZE = 500


@dataclass
class DrainStats:
    events: int = 0
    indexed: int = 0
    deleted: int = 0
    batches: int = 0

    def __str__(self):
        return f"{self.events} outbox events, {self.indexed} indexed, {self.deleted} removed"


def family_ids_for(events: list[OutboxEvent]) -> set[int]:
    """The families (one document each) a set of outbox rows touches: the families of the
    variants named, and families named directly (merged or deleted ones, to drop them)."""
    families = {e.entity_id for e in events if e.entity == "family"}
    rest = [e for e in events if e.entity != "family"]
    return families | documents.family_ids_of(product_ids_for(rest))


def product_ids_for(events: list[OutboxEvent]) -> set[int]:
    """The products (variants) a set of outbox rows touches."""
    by_entity: dict[str, set[int]] = {}
    for e in events:
        by_entity.setdefault(e.entity, set()).add(e.entity_id)
    ids = set(by_entity.pop("product", set()))
    if coops := by_entity.pop("cooperative", None):  # verification moves: all of its products
        ids |= set(Product.objects.filter(cooperative_id__in=coops).values_list("pk", flat=True))
    if certs := by_entity.pop("certification", None):
        through = Certification.families.through.objects.filter(certification_id__in=certs)
        ids |= set(through.values_list("productfamily__variants", flat=True)) - {None}
    if categories := by_entity.pop("category", None):  # names and paths are in the documents
        below = Category.subtree_ids(categories)
        ids |= set(Product.objects.filter(category_id__in=below).values_list("pk", flat=True))
    for entity in by_entity:
        log.warning("search outbox: unknown entity %r ignored", entity)
    return ids


def apply(family_ids: set[int], backend: SearchBackend, *, cards: bool = True) -> tuple[int, int]:
    """Index the families among `family_ids` that have a purchasable variant, delete the
    others from the index. Writes to the configured engine go to the database fallback first
    (it stays current while the engine is down; the outbox rows stay until the engine has them
    too)."""
    docs, gone = documents.build_for(family_ids)
    fallback = _fallback_for(backend)
    if fallback is not None:
        fallback.index_many(docs)
        fallback.delete_many(gone)
    written = backend.index_many(docs), backend.delete_many(gone)
    # What processes keep of these families' cards goes too (search.cards): the outbox rows
    # applied here are the durable record of every content edit, so the cards catch up even
    # when an edit's commit signal was lost. A failure raises: the rows stay for the next drain.
    # Not inside a rebuild (`cards=False`): its transaction would hold the generation's row
    # until its switch, and every content edit's bump meanwhile would wait for it (a request
    # hung for the rest of the rebuild); the rebuild moves the generation on once it is done.
    if cards:
        card_generation_bump()
    return written


def _fallback_for(backend: SearchBackend) -> SearchBackend | None:
    if backend.name != settings.SEARCH_BACKEND:  # an explicit other backend (tests, tools)
        return None
    return get_fallback()


# The first key of the drains' advisory locks (PostgreSQL): one lock per family, second key.
FAMILY_LOCK_SPACE = 7310
_family_lock_here = threading.RLock()  # other databases: one drain at a time in this process


@contextmanager
def _families_locked(family_ids: set[int]) -> Iterator[None]:
    """One transaction holding every family of a batch against other drains, from before its
    documents are built until they are written and its outbox rows deleted. Two drains of the
    same family then run one after the other, and the later one builds from the database as
    it is after the earlier one wrote: without this, a drain that built its documents first
    but wrote them last put older documents over newer ones, and with the newer drain's rows
    already deleted nothing corrected the index until `search_check` (a price or a stock
    shown wrong in search for hours). Locks are taken in family order (no deadlock between two
    drains) and released by the commit or rollback. SQLite has one writer at a time; its
    drains (in `make run`'s one process) take a process lock instead."""
    if connection.vendor != "postgresql":
        with _family_lock_here, transaction.atomic():
            yield
        return
    keys = sorted({i % 2_147_483_647 for i in family_ids})  # int4 keys; a clash only waits
    with transaction.atomic():
        with connection.cursor() as cursor:
            # The documents' table first, as the database backend's rebuild takes it before a
            # family (it holds the table from its load to its switch, and drains the outbox in
            # between): a drain holding a family while it waited on the table deadlocked with
            # that rebuild, and PostgreSQL rolled the rebuild back.
            cursor.execute(f"LOCK TABLE {DOCUMENTS_TABLE} IN ROW EXCLUSIVE MODE")
            cursor.execute(
                "SELECT count(pg_advisory_xact_lock(%s, k)) FROM unnest(%s::int[]) AS k",
                [FAMILY_LOCK_SPACE, keys],
            )
        yield


def _process(
    events: list[OutboxEvent],
    backend: SearchBackend,
    stats: DrainStats,
    delete_rows: bool | None = None,
    cards: bool = True,
) -> None:
    if delete_rows is None:  # during a rebuild the rebuild itself re-drains these rows
        delete_rows = not backend.keeps_outbox
    for chunk_start in range(0, len(events), BATCH_SIZE):
        chunk = events[chunk_start : chunk_start + BATCH_SIZE]
        family_ids = family_ids_for(chunk)
        with _families_locked(family_ids):
            indexed, deleted = apply(family_ids, backend, cards=cards)
            if delete_rows:
                OutboxEvent.objects.filter(pk__in=[e.pk for e in chunk]).delete()
        stats.events += len(chunk)
        stats.indexed += indexed
        stats.deleted += deleted
        stats.batches += 1


def drain(
    *,
    backend: SearchBackend | None = None,
    batch_size: int = BATCH_SIZE,
    upto: int | None = None,
    progress: Callable[[DrainStats], None] | None = None,
    delete_rows: bool | None = None,
    cards: bool = True,
) -> DrainStats:
    """Process every outbox row (ids up to `upto` if given) in batches; returns what it did.
    Raises whatever the backend raises; rows of the failed batch stay for the next drain.
    `cards=False` leaves the card generation alone (a rebuild's drain: `apply`)."""
    backend = backend or get_backend()
    stats, last = DrainStats(), 0
    while True:
        rows = OutboxEvent.objects.filter(pk__gt=last).order_by("pk")
        if upto is not None:
            rows = rows.filter(pk__lte=upto)
        events = list(rows[:batch_size])
        if not events:
            return stats
        last = events[-1].pk
        _process(events, backend, stats, delete_rows, cards)
        if progress:
            progress(stats)


def drain_ids(*, entity: str, ids: list[int], backend: SearchBackend | None = None) -> DrainStats:
    """Process only the outbox rows of one committed change (what `on_commit` kicks)."""
    backend = backend or get_backend()
    stats = DrainStats()
    events = list(OutboxEvent.objects.filter(entity=entity, entity_id__in=ids).order_by("pk"))
    if events:
        _process(events, backend, stats)
    return stats


def on_changes_committed(
    sender: object, *, entity: str, ids: list[int], content: bool = True, **kwargs: Any
) -> None:
    """Receiver of `market.shared.outbox.changes_committed`: kick a drain of these rows right after the
    commit (a worker's task, or in this process without a broker). Never raises into the request;
    the kick is not durable because the outbox rows are the record: rows a lost or failed kick
    leaves behind are drained by the periodic `search.sync` task (or `manage.py search_sync`).

    Stock moves (`content=False`: every checkout and cancellation) are coalesced when
    `SEARCH_STOCK_DRAIN_SECONDS` > 0: the first one queues a drain of the whole outbox that many
    seconds later, the ones meanwhile only add their rows to it. Under load that is one drain
    (one document per family, one bulk request) for many checkouts, instead of one drain per
    checkout rebuilding the same documents again and again; their stock and order counts reach
    the index that much later (cards and the cart read stock fresh from the database anyway).

    A content edit also moves the card generation on at once (what processes keep of result
    cards, `search.cards`), then the page cache's generation again: market's receiver bumped it
    before this one ran, and a page built in between could hold the edit's old names."""
    if content:
        try:
            card_generation_bump()
            pagecache.bump_generation()
        except Exception:  # the drain moves it on too (sync.apply)
            log.exception("card generation not moved on after %s %s", entity, ids[:10])
    if not settings.SEARCH_SYNC_ON_COMMIT:
        return
    try:
        if not content and _coalesce_stock_drain():
            return
        enqueue("search.drain_changes", durable=False, entity=entity, ids=list(ids))
    except Exception:
        log.exception(
            "search drain kick failed (%s %s); search_sync will catch up", entity, ids[:10]
        )


STOCK_DRAIN_PENDING = "search:stock-drain-pending"


def _coalesce_stock_drain() -> bool:
    """True when a coalesced drain will take the rows just committed (one was queued now, or is
    already waiting); False to kick a drain of them at once (coalescing off, or the shared cache
    down: better one drain per change than a lost kick)."""
    delay = settings.SEARCH_STOCK_DRAIN_SECONDS
    if delay <= 0 or not broker_configured():  # in-process tasks would ignore the countdown
        return False
    try:
        # The flag outlives the countdown: a worker busy for a while still finds it set, and
        # `drain_stock_changes` clears it before it reads the outbox.
        first = cache.add(STOCK_DRAIN_PENDING, 1, timeout=delay + 60)
    except Exception as exc:
        log.warning("search: stock drain not coalesced (cache unavailable: %s)", exc)
        return False
    if first:
        # A drain that could not be published must not leave the flag set: the moves until it
        # expires would wait for the once-a-minute sync. Cleared, the next move queues one again.
        enqueue(
            "search.drain_stock_changes",
            durable=False,
            countdown=delay,
            on_dropped=lambda: cache.delete(STOCK_DRAIN_PENDING),
        )
    return True


def drain_stock_changes() -> DrainStats:
    """The coalesced drain: clear the pending flag first (a stock move committed from now on
    queues the next drain), then drain the whole outbox."""
    try:
        cache.delete(STOCK_DRAIN_PENDING)
    except Exception as exc:  # the next stock move kicks its own drain (the flag fails open)
        log.warning("search: stock drain flag not cleared: %s", exc)
    return drain()


@dataclass
class ReindexStats:
    loaded: int = 0
    drained: DrainStats | None = None

    def __str__(self):
        return f"{self.loaded} documents loaded, then {self.drained} drained before the switch"


def reindex(
    *,
    backend: SearchBackend | None = None,
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
    after_load: Callable[[], None] | None = None,
) -> ReindexStats:
    """Rebuild the whole index from the database with no gap for readers and no lost write:
    the backend loads a new index (engines: a new physical index behind the aliases), then the
    outbox is drained into it (changes made during the load), then readers switch atomically.
    `after_load` runs between the load and that drain (tests use it to write meanwhile)."""
    backend = backend or get_backend()
    stats = ReindexStats()

    def finish_load():
        if after_load:
            after_load()
        # Rows written while loading: apply them to the new index and delete them now; both
        # indices receive every write until the switch.
        stats.drained = drain(backend=backend, delete_rows=True, cards=False)

    stats.loaded = backend.rebuild(
        documents.iter_all(batch_size), after_load=finish_load, progress=progress
    )
    card_generation_bump()  # cards are read again after a rebuild, as the index was
    fallback = _fallback_for(backend)
    if fallback is not None:  # the database fallback, rebuilt from the database as it is now
        fallback.rebuild(documents.iter_all(batch_size))
    return stats
