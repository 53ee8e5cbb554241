"""Record changes for the search index in the caller's transaction.

`record_changes()` must be called inside the transaction that makes the change, so a rolled-back
change leaves no row. After commit, the `changes_committed` signal fires; `search` connects a
receiver that drains the outbox early. The rows, not the signal, are the source of truth: a drain
that never runs (crash, no receiver) is caught up by `manage.py search_sync`.
"""

from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal

from market.models import OutboxEvent

changes_committed = Signal()  # sender=OutboxEvent, entity=str, ids=list[int], content=bool


def record_changes(*, entity: str, ids: Iterable[int], content: bool = True) -> None:
    """`content=False` for stock moves only: the index takes them, but they do not make the
    public page cache stale (market.shared.pagecache explains why)."""
    ids = sorted({int(i) for i in ids})
    if not ids:
        return
    OutboxEvent.objects.bulk_create(
        [OutboxEvent(entity=entity, entity_id=i) for i in ids], batch_size=1000
    )
    transaction.on_commit(
        lambda: changes_committed.send(sender=OutboxEvent, entity=entity, ids=ids, content=content)
    )
