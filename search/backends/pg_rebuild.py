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

Readers keep reading the old table until the commit (they wait only for the few milliseconds
of the final rename). Writers (a drain of the outbox committed meanwhile) wait on the table
lock taken first; after the commit PostgreSQL resolves the table name again, so they write into
the new table. The changes made during the load are drained into the new table by
`after_load` before the commit, as before.
"""

# S608: SQL built from this module's constant names and the catalog's own index definitions;
# no value a user sends reaches it (documents go through COPY).

import re
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

NEXT_SUFFIX = "_next"
# Index builds sort in memory up to this much (per index, one at a time): the GIN indexes of
# 1,000,000 documents build in one pass instead of spilling to many runs.
BUILD_MEMORY = "256MB"
Doc = dict[str, Any]
_INDEX_DEF = re.compile(r"^CREATE (UNIQUE )?INDEX (\S+) ON (\S+) (.*)$", re.S)


def rebuild(
    *,
    table: str,
    columns: list[str],
    batches: Iterable[list[Doc]],
    to_row: Callable[[Doc], tuple[Any, ...]],
    on_batch: Callable[[CursorWrapper, list[Doc]], object],
    after_load: Callable[[], object] | None = None,
    progress: Callable[[int], object] | None = None,
    before_load: Callable[[CursorWrapper], object] | None = None,
) -> int:
    """`before_load(cursor)` runs once `table` is locked (clearing what the load re-fills: taken
    after the lock, as writers take them, so a drain and the rebuild cannot deadlock).
    Load the rows (`to_row`) of every document of `batches` into a copy of `table` without
    indexes, build its indexes, and put it in `table`'s place; `on_batch(cursor, docs)` runs
    for each batch (the typo vocabulary) and `after_load()` once the new table is in place,
    before the commit."""
    nxt = table + NEXT_SUFFIX
    total = 0
    with transaction.atomic(), connection.cursor() as cursor:
        # Writers wait until the switch; readers go on (EXCLUSIVE does not block SELECT).
        cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        if before_load:
            before_load(cursor)
        cursor.execute(f"DROP TABLE IF EXISTS {nxt}")
        cursor.execute(
            f"CREATE TABLE {nxt} (LIKE {table} INCLUDING ALL EXCLUDING INDEXES)"  # the checks, generated columns
        )
        copy_sql = f"COPY {nxt} ({', '.join(columns)}) FROM STDIN"
        for docs in batches:
            with cursor.cursor.copy(copy_sql) as copy:
                for doc in docs:
                    copy.write_row(to_row(doc))
            on_batch(cursor, docs)
            total += len(docs)
            if progress:
                progress(total)
        _build_indexes(cursor, table, nxt)
        cursor.execute(f"ANALYZE {nxt}")
        _switch(cursor, table, nxt)
        if after_load:
            after_load()
    return total


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
