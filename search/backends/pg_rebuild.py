"""PostgreSQL full rebuild of the database backend: into a fresh table without indexes, then
the indexes built once, then a switch by renaming, all in one transaction.

Why: the documents table carries eleven indexes (the primary key, seven B-trees, three GINs:
`tsv`, `tsv_name`, the trigram one on the folded name). Row by row, every insert updated all of
them at random places, and the rebuild deleted and re-inserted every row into the same table
(twice the rows until a vacuum). At 100,000 products that fits in the server's buffers; at
1,000,000 (3 GB) each insert reads and dirties index pages that are no longer cached, and the
rate fell with the catalog (1,811 -> 758 docs/s). Copied into a table with no index, and the
indexes built afterwards by sorting (`CREATE INDEX`), the cost per document stays the same at
any size, and nothing is left to vacuum.

Readers keep reading the old table until the commit. The changes made during the load are
drained into the new table by `before_switch(new_table)` while readers still read the old one
(nothing a reader needs is locked then). Only then is the old table locked for the switch
(ACCESS EXCLUSIVE: it waits for running searches, and every search that starts meanwhile waits
behind it), with a short `lock_timeout`: when a search holds the table longer, the attempt is
given up and tried again a moment later, so a search waits at most that timeout plus the
milliseconds of the renames and the commit. Writers (a drain of the outbox committed meanwhile)
wait on the EXCLUSIVE lock taken first; after the commit PostgreSQL resolves the table name
again, so they write into the new table.
"""

# S608: SQL built from this module's constant names and the catalog's own index definitions;
# no value a user sends reaches it (documents go through COPY).

import logging
import random
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.db import OperationalError, connection, transaction
from django.db.backends.utils import CursorWrapper

log = logging.getLogger("htx.search")

NEXT_SUFFIX = "_next"
# Index builds sort in memory up to this much (per index, one at a time): the GIN indexes of
# 1,000,000 documents build in one pass instead of spilling to many runs.
BUILD_MEMORY = "256MB"
Doc = dict[str, Any]
Row = tuple[Any, ...]
# The switch waits this long at most for the searches running on the old table (and holds back
# the searches that start meanwhile this long at most), then gives up and tries again.
SWITCH_LOCK_TIMEOUT_MS = 100
# Tries of the switch, a random 50-250 ms apart (about 15-35 s in all); then the rebuild fails
# (rolled back: the old table stays, complete) rather than hold searches back any longer.
SWITCH_ATTEMPTS = 100
_INDEX_DEF = re.compile(r"^CREATE (UNIQUE )?INDEX (\S+) ON (\S+) (.*)$", re.S)


def rebuild(
    *,
    table: str,
    columns: list[str],
    batches: Iterable[list[Doc]],
    to_row: Callable[[Doc], tuple[Any, ...]],
    on_batch: Callable[[CursorWrapper, list[Doc]], object],
    before_switch: Callable[[str], object] | None = None,
    progress: Callable[[int], object] | None = None,
    before_load: Callable[[CursorWrapper], object] | None = None,
    companions: Iterable[tuple[str, list[str], Callable[[Row], Row]]] = (),
) -> int:
    """`before_load(cursor)` runs once `table` is locked (clearing what the load re-fills: taken
    after the lock, as writers take them, so a drain and the rebuild cannot deadlock).
    Load the rows (`to_row`) of every document of `batches` into a copy of `table` without
    indexes, build its indexes, and put it in `table`'s place; `on_batch(cursor, docs)` runs
    for each batch (the typo vocabulary) and `before_switch(new_table)` once the new table is
    complete, before the switch (it writes into `new_table`; readers still read `table`).
    Raises `SwitchBlocked` when searches held the old table through every attempt.
    `companions`: (table, columns, row of it from `to_row`'s row) of tables kept beside
    `table` with the same rows (the narrow names table): each is loaded, indexed and switched
    in with it, in the same transaction."""
    companions = list(companions)
    tables = [table, *(name for name, _c, _r in companions)]
    total = 0
    with transaction.atomic(), connection.cursor() as cursor:
        # Writers wait until the switch; readers go on (EXCLUSIVE does not block SELECT).
        # (In the order writers write them: the documents, then their companions.)
        for name in tables:
            cursor.execute(f"LOCK TABLE {name} IN EXCLUSIVE MODE")
        if before_load:
            before_load(cursor)
        freeze = None
        for name in tables:
            cursor.execute(f"DROP TABLE IF EXISTS {name + NEXT_SUFFIX}")
            cursor.execute(  # the checks, generated columns
                f"CREATE TABLE {name + NEXT_SUFFIX} (LIKE {name} INCLUDING ALL EXCLUDING INDEXES)"
            )
            freeze = _freeze(cursor) if freeze is None else freeze
        loads = [(table + NEXT_SUFFIX, columns, None)] + [
            (name + NEXT_SUFFIX, cols, project) for name, cols, project in companions
        ]
        copies = [
            (f"COPY {nxt} ({', '.join(cols)}) FROM STDIN" + (freeze or ""), project)
            for nxt, cols, project in loads
        ]
        for docs in batches:
            rows = [to_row(doc) for doc in docs]
            for copy_sql, project in copies:
                with cursor.cursor.copy(copy_sql) as copy:
                    for row in rows:
                        copy.write_row(project(row) if project else row)
            on_batch(cursor, docs)
            total += len(docs)
            if progress:
                progress(total)
        for name in tables:
            _build_indexes(cursor, name, name + NEXT_SUFFIX)
            cursor.execute(f"ANALYZE {name + NEXT_SUFFIX}")
        if before_switch:
            before_switch(table + NEXT_SUFFIX)
        _switch_when_free(cursor, tables)
    return total


def _freeze(cursor: CursorWrapper) -> str:
    """` WITH (FREEZE)` when PostgreSQL allows it here, else "". The new table was created in
    this (sub)transaction, so its rows can be written frozen and its pages marked all-visible
    in the visibility map as they are loaded (PostgreSQL 14+): without it the table switched
    in had no visibility map until autovacuum read all of it (1,000,000 rows: index-only
    scans, such as a browse's facet counts on the covering indexes, fetched every row from
    the table meanwhile), and the first search to read each page set its rows' hint bits and
    dirtied the page. PostgreSQL refuses FREEZE while a cursor of this session is open."""
    cursor.execute(
        "SELECT current_setting('server_version_num')::int, count(*) FROM pg_cursors WHERE name <> ''"
    )
    version, cursors = cursor.fetchone()
    return " WITH (FREEZE)" if version >= 140000 and cursors == 0 else ""


class SwitchBlocked(RuntimeError):
    """Searches held the old table through every attempt of the switch."""


def _switch_when_free(cursor: CursorWrapper, tables: list[str]) -> None:
    """Lock the old tables for the switch with a `lock_timeout` (searches wait behind a lock
    request that waits: without a bound, one slow search would hold back every search), and
    switch; on a timeout, roll back to before the lock and try again a moment later.
    The companions are locked first: a search that reads both reads the narrow names table
    first (its rank window), then the documents."""
    lock_timeout_ms, attempts = SWITCH_LOCK_TIMEOUT_MS, SWITCH_ATTEMPTS
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic():  # a savepoint: a timed-out attempt leaves nothing behind
                cursor.execute(
                    "SELECT current_setting('lock_timeout'), set_config('lock_timeout', %s, true)",
                    [f"{lock_timeout_ms}ms"],
                )
                before = cursor.fetchone()[0]
                for table in [*tables[1:], tables[0]]:
                    cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [before])
                for table in tables:
                    _switch(cursor, table, table + NEXT_SUFFIX)
                return
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) != "55P03":  # lock_not_available
                raise
            log.info("search rebuild: switch attempt %s waited on searches; again", attempt)
            time.sleep(random.uniform(0.05, 0.25))
    raise SwitchBlocked(
        f"searches held {tables[0]} through {attempts} attempts of {lock_timeout_ms} ms; "
        "the rebuild is rolled back and the old index stays"
    )


def _indexes(cursor: CursorWrapper, table: str) -> list[tuple[str, str, str | None, str]]:
    """(index name, definition, constraint name or None, constraint kind) of `table`."""
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid), c.conname, c.contype "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid "
        "WHERE x.indrelid = %s::regclass ORDER BY i.relname",
        [table],
    )
    return [(name, definition, constraint, kind) for name, definition, constraint, kind in cursor]


def _build_indexes(cursor: CursorWrapper, table: str, nxt: str) -> None:
    """The same indexes (and primary key / unique constraints) on the new table, under
    temporary names (the old table still holds the real ones)."""
    cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [BUILD_MEMORY])
    for name, definition, constraint, kind in _indexes(cursor, table):
        match = _INDEX_DEF.match(definition)
        if match is None:  # an index this code cannot copy: better no rebuild than a wrong one
            raise RuntimeError(f"cannot copy index definition: {definition}")
        unique, _name, _on, rest = match.groups()
        temporary = name + NEXT_SUFFIX
        cursor.execute(f"CREATE {unique or ''}INDEX {temporary} ON {nxt} {rest}")
        if constraint:
            kind_sql = {"p": "PRIMARY KEY", "u": "UNIQUE"}[kind]
            cursor.execute(
                f"ALTER TABLE {nxt} ADD CONSTRAINT {temporary} {kind_sql} USING INDEX {temporary}"
            )


def _switch(cursor: CursorWrapper, table: str, nxt: str) -> None:
    """Drop the old table and give the new one its name and its indexes' names."""
    names = [(name, constraint) for name, _def, constraint, _kind in _indexes(cursor, table)]
    cursor.execute(f"DROP TABLE {table}")
    cursor.execute(f"ALTER TABLE {nxt} RENAME TO {table}")
    for name, constraint in names:
        if constraint:  # renames its index too
            cursor.execute(
                f"ALTER TABLE {table} RENAME CONSTRAINT {name + NEXT_SUFFIX} TO {constraint}"
            )
        else:
            cursor.execute(f"ALTER INDEX {name + NEXT_SUFFIX} RENAME TO {name}")
