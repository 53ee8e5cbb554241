"""Background tasks of search: draining the outbox into the index, and the nightly check."""

import logging

from celery import shared_task

from market.background import HtxTask, PermanentError
from search import sync
from search.backends import get_backend
from search.check import compare

log = logging.getLogger("htx.search")


@shared_task(base=HtxTask, name="search.drain_changes", max_retries=2)
def drain_changes(*, entity: str, ids: list[int]) -> int:
    """Index the outbox rows of one committed change (kicked after commit). Idempotent: documents
    are rebuilt from the database as it is now; rows of a failed attempt stay for `search.sync`."""
    return sync.drain_ids(entity=entity, ids=ids).events


@shared_task(base=HtxTask, name="search.drain_stock_changes", max_retries=2)
def drain_stock_changes() -> int:
    """The coalesced drain of stock moves (search.sync.on_changes_committed): the whole outbox,
    a few seconds after the first move. Idempotent, as every drain."""
    return sync.drain_stock_changes().events


@shared_task(base=HtxTask, name="search.sync", max_retries=0)
def sync_outbox() -> int:
    """Drain the whole outbox (every minute from beat): catches up what a kick missed, e.g. while
    the search engine was down. Not retried: the next minute is the retry."""
    stats = sync.drain()
    if stats.events:
        log.info("search.sync: %s", stats)
    return stats.events


@shared_task(base=HtxTask, name="search.check", max_retries=1)
def check_and_repair() -> dict:
    """Nightly `search_check --repair`: compare the database with the index and fix the drift.
    An index built by older code with another layout (a deploy that skipped `search_reindex
    --if-outdated`) ends the task FAILED, so admins see it among the failed tasks: a rebuild is
    longer than a task may run."""
    backend = get_backend()
    drift = compare(backend)
    ids = drift.missing | drift.extra | drift.stale
    for start in range(0, len(ids), 500):
        sync.apply(set(sorted(ids)[start : start + 500]), backend)
    if ids:
        backend.refresh()
        log.warning("search.check: repaired %d differences", len(ids))
    why = backend.outdated()
    if why:
        raise PermanentError(why)
    return {"missing": len(drift.missing), "extra": len(drift.extra), "stale": len(drift.stale)}
