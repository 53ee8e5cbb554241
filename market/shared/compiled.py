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
from typing import Any, NamedTuple, TypeVar

from django.db import connections, router
from django.db.models import Model, QuerySet, prefetch_related_objects
from django.db.models.query import get_related_populators
from django.db.transaction import TransactionManagementError


class _Compiled(NamedTuple):
    compiler: Any  # its converters turn raw column values into Python ones
    sql: str
    params: tuple[Any, ...]  # with placeholder ids at `slots`
    slots: list[int]
    names: list[str]
    # (column, converter functions, expression): the compiler's converters, made once (Django
    # makes them on every fetch: a decimal quantizer and JSON decoder per column, ~0.1 ms a page)
    converters: list[tuple[int, list[Any], Any]]
    locks: bool = False  # SELECT … FOR UPDATE: only inside a transaction, as Django checks
    # For model instances (`instances_for_ids`): where the model's own columns are, their
    # attribute names, the select_related populators, and the prefetches to run after.
    fields_at: tuple[int, int] = (0, 0)
    init_list: tuple[str, ...] = ()
    populators: tuple[Any, ...] = ()
    prefetch: tuple[Any, ...] = ()


M = TypeVar("M", bound=Model)
# Django 5.2's signature (klass_info, select, db); the type stubs follow a later one.
_related_populators: Callable[..., list[Any]] = get_related_populators
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
    ids = _in_range(ids)
    if not ids:
        return []
    connection = connections[router.db_for_read(model)]
    compiled, rows = _run(connection, (name, len(ids)), build, ids, _compile)
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


def instances_for_ids(
    name: str,
    model: type[M],
    build: Callable[[list[int]], QuerySet[M, M]],
    ids: list[int],
) -> list[M]:
    """`list(build(ids))` for a `build` that returns a queryset of `model` instances (with
    `select_related`, `select_for_update` and `prefetch_related` as needed) filtering on
    `<field>__in=ids` (positive integer ids) and otherwise always the same statement: the
    instances Django would build, their select_related objects set, the prefetches run after.
    Duplicate ids count once. A locking statement outside a transaction raises as Django does.

    For the hot fixed-shape reads of the cart and the checkout: compiling a select_related
    join of three wide tables cost more of the web's CPU than anything else those requests
    do (py-spy under bench/load.py: ~7% of all the web's CPU for cart lines and products)."""
    ids = _in_range(ids)
    if not ids:
        return []
    connection = connections[router.db_for_write(model)]
    compiled, rows = _run(connection, ("objects", name, len(ids)), build, ids, _compile_models)
    db, start_end, init_list = connection.alias, compiled.fields_at, compiled.init_list
    start, end = start_end
    objs = []
    model_cls = compiled.compiler.klass_info["model"]
    for row in compiled.compiler.results_iter([rows]):
        obj = model_cls.from_db(db, init_list, row[start:end])
        for populator in compiled.populators:
            populator.populate(row, obj)
        objs.append(obj)
    if compiled.prefetch and objs:
        prefetch_related_objects(objs, *compiled.prefetch)
    return objs


def _in_range(ids: list[int]) -> list[int]:
    """The ids once each, without those no integer column holds (an id from a request: Django
    answers "no such row" for them; sent to PostgreSQL they would be an error)."""
    return [i for i in dict.fromkeys(ids) if _BIGINT_MIN <= i <= _BIGINT_MAX]


_BIGINT_MIN, _BIGINT_MAX = -(2**63), 2**63 - 1


def _run(
    connection: Any,
    key: tuple[Any, ...],
    build: Callable[[list[int]], QuerySet[Any, Any]],
    ids: list[int],
    compile_with: Callable[[Any, Callable[[list[int]], QuerySet[Any, Any]], int], _Compiled],
) -> tuple[_Compiled, list[tuple[Any, ...]]]:
    """The statement kept for `key` (compiled on first use), run with `ids`: its raw rows."""
    mine = _statements(connection)
    compiled = mine.get(key)
    if compiled is None:
        compiled = mine[key] = compile_with(connection, build, len(ids))
        while len(mine) > PER_CONNECTION:
            mine.popitem(last=False)
    else:
        mine.move_to_end(key)
    if compiled.locks and connection.get_autocommit():
        raise TransactionManagementError(
            "select_for_update cannot be used outside of a transaction."
        )
    params = list(compiled.params)
    for slot, value in zip(compiled.slots, ids, strict=True):
        params[slot] = value
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        return compiled, cursor.fetchall()


def _compile_sql(
    connection: Any, build: Callable[[list[int]], QuerySet[Any, Any]], count: int
) -> tuple[Any, Any, str, tuple[Any, ...], list[int]]:
    """The query for `count` ids, its compiler and SQL with negative placeholder ids (never a
    real id; each must appear exactly once among the parameters) and where they are."""
    placeholders = [-(i + 1) for i in range(count)]
    query = build(placeholders).query
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()  # a lock outside a transaction raises here
    params = tuple(params)
    if sorted(params.count(p) for p in placeholders) != [1] * count:
        raise ValueError("each placeholder id must be exactly one parameter")
    return query, compiler, sql, params, [params.index(p) for p in placeholders]


def _compile_models(
    connection: Any, build: Callable[[list[int]], QuerySet[Any, Any]], count: int
) -> _Compiled:
    """As ModelIterable reads a queryset's rows, prepared once: where the model's columns are,
    its attribute names, the select_related populators."""
    queryset: Any = build([-(i + 1) for i in range(count)])  # its private attributes are read
    if queryset._fields is not None or queryset._iterable_class.__name__ != "ModelIterable":
        raise ValueError("instances_for_ids needs a queryset of model instances")
    if queryset.query.annotation_select or queryset._known_related_objects:
        raise ValueError("annotations and related managers' querysets are not supported")
    query, compiler, sql, params, slots = _compile_sql(connection, lambda _ids: queryset, count)
    select, klass_info = compiler.select, compiler.klass_info
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    return _Compiled(
        compiler,
        sql,
        params,
        slots,
        names=[],
        converters=[],
        # as SQLCompiler.as_sql: only a backend that writes the lock refuses it outside a
        # transaction (SQLite writes no FOR UPDATE and Django reads the rows there)
        locks=bool(
            query.select_for_update
            and connection.features.has_select_for_update
            and connection.features.supports_transactions
        ),
        fields_at=(start, end),
        init_list=tuple(f[0].target.attname for f in select[start:end]),
        populators=tuple(_related_populators(klass_info, select, connection.alias)),
        prefetch=tuple(queryset._prefetch_related_lookups),
    )


def _compile(
    connection: Any, build: Callable[[list[int]], QuerySet[Any, Any]], count: int
) -> _Compiled:
    """The statement for `count` ids, compiled with negative placeholder ids (never a real id;
    each must appear exactly once among the parameters)."""
    query, compiler, sql, params, slots = _compile_sql(connection, build, count)
    names = [*query.extra_select, *query.values_select, *query.annotation_select]
    fields = [column[0] for column in compiler.select[: compiler.col_count]]
    if compiler.has_composite_fields(fields):
        raise ValueError("composite fields are not supported")
    converters = [
        (pos, functions, expression)
        for pos, (functions, expression) in compiler.get_converters(fields).items()
    ]
    return _Compiled(compiler, sql, params, slots, names, converters)
