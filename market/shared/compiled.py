"""Read queries by a list of ids, compiled once and run many times.

Building and compiling a Django queryset costs far more than running a primary-key lookup of a
few dozen rows: a search page's result cards took ~5 ms to build and compile and 0.4 ms to run.
`rows_for_ids` compiles a queryset once per connection (one per thread), name and number of ids,
with placeholder ids whose positions among the parameters it remembers; each call then puts the
real ids there, runs the statement and converts the columns with the compiler's converters
(JSON, decimals), giving exactly what `.values()` gives.

Where the statements live: on the connection wrapper itself (one per thread), at most
`PER_CONNECTION` of them, least recently used dropped first. A compiled statement refers to its
wrapper (the compiler's converters read the connection's operations), so a cache kept outside
the wrapper, keyed by it, would keep every wrapper alive for good (a weak key whose value refers
back to it is never released): one per thread ever started, under `runserver` or any server that
makes new threads. Kept on the wrapper, the statements go with it when its thread ends. The
statements hold no server-side state (no prepared statement, no cursor), so a closed and
reopened database connection keeps using them.
"""

from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple

from django.db import connections, router
from django.db.models import Model, QuerySet


class _Compiled(NamedTuple):
    compiler: Any  # its converters turn raw column values into Python ones
    sql: str
    params: tuple[Any, ...]  # with placeholder ids at `slots`
    slots: list[int]
    names: list[str]
    # (column, converter functions, expression): the compiler's converters, made once (Django
    # makes them on every fetch: a decimal quantizer and JSON decoder per column, ~0.1 ms a page)
    converters: list[tuple[int, list[Any], Any]]


PER_CONNECTION = 256  # statements kept per connection: names × page sizes in use, with room
_ATTR = "_htx_compiled_statements"


def _statements(connection: Any) -> "OrderedDict[tuple[str, int], _Compiled]":
    """The connection wrapper's own statements (created on first use)."""
    mine = getattr(connection, _ATTR, None)
    if mine is None:
        mine = OrderedDict()
        setattr(connection, _ATTR, mine)
    return mine


def statements_kept(connection: Any) -> int:
    """How many compiled statements `connection` holds (for tests and checks)."""
    return len(getattr(connection, _ATTR, ()))


def rows_for_ids(
    name: str,
    model: type[Model],
    build: Callable[[list[int]], QuerySet[Any, Any]],
    ids: list[int],
) -> list[dict[str, Any]]:
    """`list(build(ids))` for a `build` that returns a `.values()` queryset of `model`
    filtering on `<field>__in=ids` (positive integer ids) and otherwise always the same
    statement; `name` tells the statements apart. Duplicate ids count once (as `IN` does)."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return []
    connection = connections[router.db_for_read(model)]
    mine = _statements(connection)
    key = (name, len(ids))
    compiled = mine.get(key)
    if compiled is None:
        compiled = mine[key] = _compile(connection, build, len(ids))
        while len(mine) > PER_CONNECTION:
            mine.popitem(last=False)
    else:
        mine.move_to_end(key)
    params = list(compiled.params)
    for slot, value in zip(compiled.slots, ids, strict=True):
        params[slot] = value
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        rows = cursor.fetchall()
    names, converters = compiled.names, compiled.converters
    if not converters:
        return [dict(zip(names, row, strict=True)) for row in rows]
    wrapper = compiled.compiler.connection
    out = []
    for raw in rows:  # as SQLCompiler.apply_converters
        row = list(raw)
        for pos, functions, expression in converters:
            value = row[pos]
            for convert in functions:
                value = convert(value, expression, wrapper)
            row[pos] = value
        out.append(dict(zip(names, row, strict=True)))
    return out


def _compile(
    connection: Any, build: Callable[[list[int]], QuerySet[Any, Any]], count: int
) -> _Compiled:
    """The statement for `count` ids, compiled with negative placeholder ids (never a real id;
    each must appear exactly once among the parameters)."""
    placeholders = [-(i + 1) for i in range(count)]
    query = build(placeholders).query
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    params = tuple(params)
    if sorted(params.count(p) for p in placeholders) != [1] * count:
        raise ValueError("each placeholder id must be exactly one parameter")
    slots = [params.index(p) for p in placeholders]
    names = [*query.extra_select, *query.values_select, *query.annotation_select]
    fields = [column[0] for column in compiler.select[: compiler.col_count]]
    if compiler.has_composite_fields(fields):
        raise ValueError("composite fields are not supported")
    converters = [
        (pos, functions, expression)
        for pos, (functions, expression) in compiler.get_converters(fields).items()
    ]
    return _Compiled(compiler, sql, params, slots, names, converters)
