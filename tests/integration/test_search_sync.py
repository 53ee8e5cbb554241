"""Index sync through the outbox, on every backend (engines when their node runs): commit, rollback,
a crash in the middle of a drain, a reindex while writes keep coming, the consistency check."""

import io
import threading
import time

import pytest
from django.core.management import call_command
from django.db import transaction

from catalog.models import Product
from market.models import Cooperative, OutboxEvent
from market.shared.outbox import record_changes
from search import product_documents as documents
from search import sync
from search.backends import Query, get_backend
from search.check import current_hashes
from search.selectors import product_search
from tests.factories.catalog import ProductFactory
from tests.factories.market import CooperativeFactory
from tests.factories.search import index_everything


def found(q, **kw):
    return [
        p.variant_id for p in product_search(Query(q=q, size=100, **kw)).results
    ]  # the card's variant


def change(product, **fields):
    """What a catalog service does: the change and its outbox row in one transaction."""
    with transaction.atomic():
        for k, v in fields.items():
            setattr(product, k, v)
        product.save()
        record_changes(entity="product", ids=[product.pk])


def test_drain_indexes_changes_and_empties_the_outbox(search_backend):
    p = ProductFactory(name_vi="Hạt tiêu sọ Chư Sê", name_en="White pepper")
    record_changes(entity="product", ids=[p.pk])

    stats = sync.drain()
    search_backend.refresh()

    assert (stats.events, stats.indexed, stats.deleted) == (1, 1, 0)
    assert found("tieu so") == [p.pk]
    assert OutboxEvent.objects.count() == 0


def test_commit_kicks_a_drain_and_price_changes_reach_the_index(
    search_backend, django_capture_on_commit_callbacks
):
    p = ProductFactory(name_vi="Măng tây xanh", name_en="Green asparagus", price_vnd=90_000)

    with django_capture_on_commit_callbacks(execute=True):
        change(p, price_vnd=80_000)
    search_backend.refresh()

    assert search_backend.snapshot() == current_hashes()
    assert found("mang tay", price_min=80_000, price_max=80_000) == [p.pk]
    assert OutboxEvent.objects.count() == 0


def test_a_failing_index_after_commit_never_breaks_the_request(
    search_backend, django_capture_on_commit_callbacks, monkeypatch
):
    p = ProductFactory(name_vi="Nấm hương rừng")

    def down(docs):  # the engine is a process boundary we cannot break for real inside a test
        raise ConnectionError("engine down")

    monkeypatch.setattr(search_backend, "index_many", down)
    with django_capture_on_commit_callbacks(execute=True):
        change(p, price_vnd=70_000)

    assert OutboxEvent.objects.filter(entity="product", entity_id=p.pk).count() == 1


def test_rolled_back_change_never_reaches_the_index(search_backend):
    p = ProductFactory(name_vi="Gừng sẻ")
    index_everything(search_backend)

    with pytest.raises(RuntimeError), transaction.atomic():
        p.name_vi = "Gừng gió"
        p.save()
        record_changes(entity="product", ids=[p.pk])
        raise RuntimeError("the service failed after recording")
    stats = sync.drain()
    search_backend.refresh()

    assert OutboxEvent.objects.count() == 0
    assert stats.events == 0
    assert found("gio") == []
    assert found("gung se") == [p.pk]


def test_cooperative_change_reindexes_all_its_products(search_backend):
    coop = CooperativeFactory(verified=True)
    a = ProductFactory(cooperative=coop, name_vi="Bơ sáp 034")
    b = ProductFactory(cooperative=coop, name_vi="Bơ booth")
    index_everything(search_backend)

    with transaction.atomic():
        Cooperative.objects.filter(pk=coop.pk).update(status=Cooperative.Status.SUSPENDED)
        record_changes(entity="cooperative", ids=[coop.pk])
    stats = sync.drain()
    search_backend.refresh()

    assert (stats.indexed, stats.deleted) == (0, 2)
    assert found("bo") == []
    assert search_backend.count() == 0
    assert {a.pk, b.pk} == set(Product.objects.values_list("pk", flat=True))


def test_crash_in_the_middle_of_a_drain_loses_nothing(search_backend, monkeypatch):
    products = [ProductFactory(name_vi=f"Chè búp Thái Nguyên loại {i}") for i in range(6)]
    record_changes(entity="product", ids=[p.pk for p in products])
    real = search_backend.index_many
    calls = []

    def crash_after_part(docs, **kw):
        calls.append(len(docs))
        real(docs[:2], **kw)  # part of the batch reaches the index, then the process dies
        raise RuntimeError("killed mid-batch")

    monkeypatch.setattr(search_backend, "index_many", crash_after_part)
    with pytest.raises(RuntimeError):
        sync.drain(batch_size=4)
    assert OutboxEvent.objects.count() == 6  # nothing acknowledged
    monkeypatch.setattr(search_backend, "index_many", real)

    stats = sync.drain(batch_size=4)
    search_backend.refresh()

    assert calls == [4]
    assert stats.events == 6 and stats.indexed == 6
    assert OutboxEvent.objects.count() == 0
    assert sorted(found("che bup")) == sorted(p.pk for p in products)


def test_reindex_keeps_writes_made_during_the_load(search_backend):
    old = [ProductFactory(name_vi=f"Gạo nếp cái hoa vàng {i}", price_vnd=40_000) for i in range(5)]
    index_everything(search_backend)
    newcomer = {}

    def meanwhile():  # a seller edits and another publishes while the bulk load runs
        change(old[0], price_vnd=45_000)
        change(old[1], status=Product.Status.ARCHIVED)
        newcomer["p"] = ProductFactory(name_vi="Gạo nếp cẩm Điện Biên")
        record_changes(entity="product", ids=[newcomer["p"].pk])
        if search_backend.name != "database":  # engines: drains during the load keep their rows
            assert search_backend.keeps_outbox is True

    stats = sync.reindex(after_load=meanwhile)
    search_backend.refresh()

    assert stats.loaded == 5
    assert stats.drained.events == 3
    assert OutboxEvent.objects.count() == 0
    assert search_backend.keeps_outbox is False
    assert set(search_backend.snapshot()) == {p.family_id for p in old[2:]} | {
        old[0].family_id,
        newcomer["p"].family_id,
    }
    assert search_backend.snapshot() == current_hashes()
    assert found("nep cai", price_min=45_000, price_max=45_000) == [old[0].pk]
    assert found("nep cam") == [newcomer["p"].pk]


def test_reindex_twice_is_safe(search_backend):
    ProductFactory(name_vi="Bưởi da xanh")

    first = sync.reindex()
    second = sync.reindex()
    search_backend.refresh()

    assert (first.loaded, second.loaded) == (1, 1)
    assert search_backend.count() == 1


def _table_shape(table):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, regexp_replace(indexdef, ' ON \\S+ ', ' ON t ') FROM pg_indexes "
            "WHERE tablename = %s ORDER BY indexname",
            [table],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, contype FROM pg_constraint WHERE conrelid = %s::regclass "
            "ORDER BY conname",
            [table],
        )
        return indexes, cursor.fetchall()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_rebuild_swaps_in_a_table_with_the_same_indexes_and_constraints(settings):
    """The PostgreSQL rebuild loads a fresh table and builds its indexes after (pg_rebuild):
    the table in place afterwards has every index and constraint under its migration name,
    and the search finds the new rows through them."""
    from django.db import connection

    from search.backends.database import NAMES, TABLE, DatabaseBackend

    settings.SEARCH_BACKEND = "database"
    before = _table_shape(TABLE)
    names_before = _table_shape(NAMES)
    ProductFactory(name_vi="Bưởi da xanh Bến Tre")
    ProductFactory(name_vi="Cà phê Robusta")

    loaded = DatabaseBackend().rebuild(documents.iter_all(1))

    assert loaded == 2
    assert _table_shape(TABLE) == before
    assert _table_shape(NAMES) == names_before  # the narrow names table beside it, the same
    assert "searchdoc_tsv_name" in {name for name, _ in before[0]}
    assert "searchname_names_filters" in {name for name, _ in names_before[0]}
    assert {c for _, c in before[1]} >= {"p", "c"}
    with connection.cursor() as cursor:
        for table in (TABLE, NAMES):
            cursor.execute("SELECT to_regclass(%s)", [table + "_next"])
            assert cursor.fetchone() == (None,)
    assert _names_mirror() == (2, True)
    assert found("buoi") == [Product.objects.get(name_vi="Bưởi da xanh Bến Tre").pk]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_postgres_rebuild_switches_in_a_table_already_visible_to_every_reader(settings):
    """The rows of the rebuilt table are written frozen (COPY FREEZE into the table created in
    the same transaction): every page is all-visible in the visibility map from the switch on,
    so index-only scans read no row from the table and no first reader dirties pages setting
    hint bits; before, that waited for autovacuum to read the whole table."""
    from django.db import connection

    from search.backends.database import NAMES, TABLE, DatabaseBackend

    settings.SEARCH_BACKEND = "database"
    for k in range(60):  # a few pages of rows
        ProductFactory(name_vi=f"Bưởi da xanh Bến Tre loại {k}", description_vi="x" * 300)

    loaded = DatabaseBackend().rebuild(documents.iter_all(25))

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relpages, relallvisible FROM pg_class WHERE oid = %s::regclass", [TABLE]
        )
        pages, visible = cursor.fetchone()  # (ANALYZE, before the switch, counted the map)
        cursor.execute(
            "SELECT relpages, relallvisible FROM pg_class WHERE oid = %s::regclass", [NAMES]
        )
        name_pages, names_visible = cursor.fetchone()
    assert loaded == 60
    assert pages >= 2
    assert visible == pages
    assert name_pages >= 1
    assert names_visible == name_pages  # the narrow names table too
    assert found("buoi")  # and the table answers as before


def _fts5_hashsize():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT v FROM search_fts_config WHERE k = 'hashsize'")
        row = cursor.fetchone()
    return row[0] if row else None


@pytest.mark.sqlite_only  # how SQLite's rebuild writes its FTS5 table
@pytest.mark.django_db(transaction=True)
def test_a_sqlite_rebuild_loads_without_a_flush_per_batch_and_leaves_the_write_buffer_as_it_was(
    settings,
):
    """A SQLite rebuild writes its batches without a savepoint each and without deleting
    their ids first (each made FTS5 write out its buffer and merge, once per batch), into a
    bigger FTS5 write buffer; the default is back once it commits, or if it fails."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from search.backends import database
    from search.backends.database import DatabaseBackend

    settings.SEARCH_BACKEND = "database"
    old = ProductFactory(name_vi="Bưởi da xanh Bến Tre")
    DatabaseBackend().rebuild(documents.iter_all(1))
    before = _fts5_hashsize()
    new = [ProductFactory(name_vi=f"Bưởi Năm Roi {k}") for k in range(3)]
    buffers = []

    def meanwhile():
        buffers.append(_fts5_hashsize())

    with CaptureQueriesContext(connection) as ran:
        loaded = DatabaseBackend().rebuild(documents.iter_all(1), after_load=meanwhile)
    statements = [q["sql"] for q in ran.captured_queries]

    assert loaded == 4
    assert buffers == [database.LOAD_HASH_BYTES]
    assert before == _fts5_hashsize() == database.FTS5_HASH_BYTES
    assert sum("INSERT INTO search_fts (rowid" in s for s in statements) == 4
    load = statements[next(i for i, s in enumerate(statements) if "INTO search_fts (rowid" in s) :]
    assert not [s for s in load if "SAVEPOINT" in s or "DELETE FROM search_fts WHERE" in s]
    assert sorted(found("buoi")) == sorted([old.pk, *(p.pk for p in new)])

    def broken():
        yield from documents.iter_all(1)
        raise RuntimeError("the database went away")

    Product.objects.filter(pk=old.pk).update(name_vi="Cà phê Culi")  # not indexed: rolled back
    with pytest.raises(RuntimeError):
        DatabaseBackend().rebuild(broken())

    assert _fts5_hashsize() == database.FTS5_HASH_BYTES
    assert sorted(found("buoi")) == sorted([old.pk, *(p.pk for p in new)])
    assert found("culi") == []


def _names_mirror():
    """(rows, whether the narrow names table holds exactly the documents' ids, names, filter
    columns, names' tsvector, and the filter lexemes of their price and id)."""
    from django.db import connection

    from search.backends.database import NAME_COLUMNS, NAMES, TABLE

    columns = ", ".join([*NAME_COLUMNS, "tsv_name::text"])
    lexemes = {
        TABLE: "search_filter_lexemes(price_vnd, product_id)::text",
        NAMES: "tsv_filter::text",
    }
    with connection.cursor() as cursor:
        rows = []
        for table in (TABLE, NAMES):
            cursor.execute(
                f"SELECT {columns}, {lexemes[table]} FROM {table} ORDER BY product_id"  # noqa: S608
            )
            rows.append(cursor.fetchall())
    return len(rows[0]), rows[0] == rows[1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_postgres_names_table_holds_the_documents_rows_through_every_write(settings):
    """The narrow names table (where a rank window is found) is written in the same
    transactions as the documents: an index, an edit of a name and of a filtered column, a
    delete, a drain during a rebuild and the rebuild itself leave it holding exactly the
    documents' ids, names, filter columns and names' tsvector."""
    settings.SEARCH_BACKEND = "database"
    settings.SEARCH_SYNC_ON_COMMIT = False
    kept = ProductFactory(name_vi="Bưởi da xanh Bến Tre", price_vnd=120_000)
    gone = ProductFactory(name_vi="Cà phê Robusta")
    sync.reindex()
    assert _names_mirror() == (2, True)

    change(kept, name_vi="Bưởi Năm Roi", price_vnd=99_000, stock_qty=0)
    sync.drain()
    assert _names_mirror() == (2, True)
    assert found("nam roi", price_max=100_000) == [kept.pk]

    change(gone, status=Product.Status.ARCHIVED)
    sync.drain()
    assert _names_mirror() == (1, True)

    def meanwhile():  # drained into the new tables before the switch
        newcomer = ProductFactory(name_vi="Bưởi Phúc Trạch")
        record_changes(entity="product", ids=[newcomer.pk])

    sync.reindex(after_load=meanwhile)
    assert _names_mirror() == (2, True)
    assert sorted(found("buoi")) == sorted(
        [kept.pk, Product.objects.get(name_vi="Bưởi Phúc Trạch").pk]
    )

    get_backend().clear()
    assert _names_mirror() == (0, True)


def _search_in_thread(q, answers, *, delay=0.0):
    """`found(q)` on a connection of its own (another thread), with how long it took."""
    from django.db import connection

    def run():
        time.sleep(delay)
        start = time.monotonic()
        try:
            answers.append((found(q), time.monotonic() - start))
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _hold_table_in_thread(table, seconds, holding):
    """A long search: a transaction that read `table` (its ACCESS SHARE lock) for `seconds`."""
    from django.db import connection

    def run():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
                holding.set()
                time.sleep(seconds)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    assert holding.wait(10)
    return thread


def _drain_in_thread(name, errors):
    """`sync.drain()` on a connection of its own (another thread named `name`)."""
    from django.db import connection

    def run():
        try:
            sync.drain()
        except Exception as exc:  # surfaced by the test's assertion on `errors`
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_drain_that_built_its_documents_first_never_writes_them_over_a_newer_drain(
    settings, monkeypatch
):
    """Two drains of one product: the older builds its document (price 120,000) and is slow to
    write it; a price change to 150,000 commits and a second drain starts. The second waits
    for the first, then builds from the database as it is: the index ends at 150,000, in step
    with the database. (Before: the second wrote 150,000 and deleted every outbox row, then
    the first wrote 120,000 over it, and nothing was left to correct the index.)"""
    settings.SEARCH_BACKEND = "database"
    settings.SEARCH_SYNC_ON_COMMIT = False  # the two drains are started by hand
    p = ProductFactory(name_vi="Chè Shan tuyết Suối Giàng", price_vnd=100_000)
    sync.reindex()
    built, go, errors = threading.Event(), threading.Event(), []
    real_build = documents.build_for

    def slow_older_build(ids):
        docs = real_build(ids)
        if threading.current_thread().name == "older":
            built.set()
            go.wait(10)
        return docs

    monkeypatch.setattr(documents, "build_for", slow_older_build)

    change(p, price_vnd=120_000)
    older = _drain_in_thread("older", errors)
    assert built.wait(10)
    change(p, price_vnd=150_000)
    newer = _drain_in_thread("newer", errors)
    newer.join(timeout=1.0)
    newer_waited = newer.is_alive()
    go.set()
    older.join(10)
    newer.join(10)

    assert errors == []
    assert found("che shan tuyet", price_min=150_000, price_max=150_000) == [p.pk]
    assert get_backend().snapshot() == current_hashes()
    assert OutboxEvent.objects.count() == 0
    assert newer_waited


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_content_edit_during_a_postgres_rebuild_moves_the_card_generation_at_once(
    settings, monkeypatch
):
    """The rebuild's own drain (inside its transaction, until the switch) leaves the card
    generation's row alone: an edit committed meanwhile moves the generation on at once (its
    request used to wait for the rest of the rebuild), and the rebuild moves it once done."""
    from django.db import connection

    from search.cards import card_generation_bump
    from search.models import CardGeneration

    settings.SEARCH_BACKEND = "database"
    settings.SEARCH_SYNC_ON_COMMIT = False
    ProductFactory(name_vi="Bưởi da xanh Bến Tre")
    sync.reindex()
    took, real_drain = [], sync.drain

    def bump_elsewhere():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '3s'")
            start = time.monotonic()
            card_generation_bump()
            took.append(time.monotonic() - start)
        except Exception as exc:
            took.append(exc)
        finally:
            connection.close()

    def drain_then_an_edit_elsewhere(**kwargs):
        stats = real_drain(**kwargs)
        if kwargs.get("cards") is False:  # the rebuild's drain: its transaction still open
            thread = threading.Thread(target=bump_elsewhere)
            thread.start()
            thread.join(10)
        return stats

    def meanwhile():
        newcomer = ProductFactory(name_vi="Bưởi Năm Roi")
        record_changes(entity="product", ids=[newcomer.pk])

    monkeypatch.setattr(sync, "drain", drain_then_an_edit_elsewhere)
    before = CardGeneration.objects.get(pk=CardGeneration.ROW).value
    stats = sync.reindex(after_load=meanwhile)

    assert stats.drained.events == 1
    assert len(took) == 1 and isinstance(took[0], float) and took[0] < 1.0, took
    assert CardGeneration.objects.get(pk=CardGeneration.ROW).value >= before + 2  # edit, rebuild
    assert len(found("buoi")) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_search_during_a_postgres_rebuild_answers_at_once_from_the_old_table(settings):
    """The changes made during the load are drained into the new table before the switch:
    a search from another connection meanwhile answers at once, from the old table (the
    product written during the load is not in it yet), and finds it after the switch."""
    settings.SEARCH_BACKEND = "database"
    old = ProductFactory(name_vi="Bưởi da xanh Bến Tre")
    sync.reindex()
    answers, readers = [], []

    def meanwhile():  # after the load, inside the rebuild's transaction, before the drain
        newcomer = ProductFactory(name_vi="Bưởi Năm Roi")
        record_changes(entity="product", ids=[newcomer.pk])
        reader = _search_in_thread("buoi", answers)
        readers.append(reader)
        reader.join(timeout=5)

    stats = sync.reindex(after_load=meanwhile)
    readers[0].join()

    assert stats.drained.events == 1
    assert len(answers) == 1
    assert answers[0][0] == [old.pk]
    assert answers[0][1] < 2.0  # (before: it waited for the rebuild's commit)
    assert sorted(found("buoi")) == sorted([old.pk, Product.objects.get(name_vi="Bưởi Năm Roi").pk])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_postgres_rebuild_switch_never_holds_searches_back_behind_a_long_search(
    settings, monkeypatch
):
    """The switch waits for a search that holds the old table for at most its lock timeout,
    and tries again: a search that starts meanwhile answers without waiting for the long one.
    When every attempt times out the rebuild is rolled back and the old table answers."""
    from search.backends import pg_rebuild
    from search.backends.database import TABLE, DatabaseBackend

    settings.SEARCH_BACKEND = "database"
    old = ProductFactory(name_vi="Bưởi da xanh Bến Tre")
    sync.reindex()
    ProductFactory(name_vi="Bưởi Năm Roi")
    answers = []

    # every attempt times out while the long search holds the table
    monkeypatch.setattr(pg_rebuild, "SWITCH_ATTEMPTS", 2)
    long_search = _hold_table_in_thread(TABLE, 3, threading.Event())
    with pytest.raises(pg_rebuild.SwitchBlocked):
        DatabaseBackend().rebuild(documents.iter_all(10))
    assert found("buoi") == [old.pk]

    # the switch waits until the long search is done; a search that comes meanwhile does not
    long_search.join()
    monkeypatch.setattr(pg_rebuild, "SWITCH_ATTEMPTS", 100)
    long_search = _hold_table_in_thread(TABLE, 3, threading.Event())
    started = time.monotonic()
    reader = []

    def meanwhile():  # just before the switch: a search arrives while it waits
        reader.append(_search_in_thread("buoi", answers, delay=0.5))

    loaded = DatabaseBackend().rebuild(documents.iter_all(10), after_load=meanwhile)
    switched_after = time.monotonic() - started
    long_search.join()
    reader[0].join()

    assert loaded == 2
    assert switched_after > 2.5  # it waited for the long search to end
    assert answers[0][0] == [old.pk]  # from the old table, while the switch was waiting
    assert answers[0][1] < 1.5  # (without a lock timeout: behind the switch, ~2.5 s)
    assert len(found("buoi")) == 2


def test_search_check_reports_drift_and_repair_fixes_it(search_backend):
    kept, moved, gone = (
        ProductFactory(name_vi=f"Hạt sen Huế {i}", price_vnd=200_000) for i in range(3)
    )
    index_everything(search_backend)
    Product.objects.filter(pk=moved.pk).update(price_vnd=210_000)  # bypasses the outbox: drift
    Product.objects.filter(pk=gone.pk).update(status=Product.Status.ARCHIVED)
    added = ProductFactory(name_vi="Hạt sen sấy")
    out = io.StringIO()

    with pytest.raises(SystemExit):
        call_command("search_check", stdout=out)
    call_command("search_check", "--repair", stdout=out)
    again = io.StringIO()
    call_command("search_check", stdout=again)

    text = out.getvalue()
    assert "missing from the index: 1" in text and "not purchasable but indexed: 1" in text
    assert f"stale: 1 (e.g. {moved.family_id})" in text
    assert "search_check: repaired 3 differences; 0 remain" in text
    assert (
        again.getvalue()
        .strip()
        .endswith("search_check: 0 differences (0 missing, 0 extra, 0 stale)")
    )
    assert search_backend.snapshot() == current_hashes()
    assert set(current_hashes()) == {kept.family_id, moved.family_id, added.family_id}
    assert found("hat sen", price_min=210_000, price_max=210_000) == [moved.pk]


@pytest.mark.parametrize(
    "fields",
    [{"name_vi": "Hạt điều rang muối Bình Phước"}, {"stock_qty": 0}],
    ids=["name", "stock"],
)
def test_search_check_sees_any_field_changed_behind_the_index(search_backend, fields):
    p = ProductFactory(name_vi="Cà phê Arabica Cầu Đất", stock_qty=25)
    ProductFactory(name_vi="Cà phê phin giấy")
    index_everything(search_backend)
    Product.objects.filter(pk=p.pk).update(**fields)  # bypasses the outbox: drift no price shows
    first, repair, again = io.StringIO(), io.StringIO(), io.StringIO()

    with pytest.raises(SystemExit):
        call_command("search_check", stdout=first)
    call_command("search_check", "--repair", stdout=repair)
    call_command("search_check", stdout=again)

    assert f"  stale: 1 (e.g. {p.family_id})" in first.getvalue()
    assert first.getvalue().strip().splitlines()[-1] == (
        "search_check: 1 differences (0 missing, 0 extra, 1 stale); run with --repair to fix"
    )
    assert (
        repair.getvalue().strip().splitlines()[-1]
        == "search_check: repaired 1 differences; 0 remain"
    )
    assert (
        again.getvalue().strip().splitlines()[-1]
        == "search_check: 0 differences (0 missing, 0 extra, 0 stale)"
    )
    if "name_vi" in fields:
        assert found("dieu rang muoi") == [p.pk]
    else:
        assert found("ca phe", in_stock=False) == [p.pk]


def test_search_check_reports_documents_indexed_before_hashes_as_stale(search_backend):
    p = ProductFactory(name_vi="Mật ong bạc hà")
    docs, _ = documents.build_for([p.family_id])
    search_backend.index_many(
        [{k: v for k, v in d.items() if k != "doc_hash"} for d in docs]
    )  # as before
    out = io.StringIO()

    call_command("search_check", "--repair", stdout=out)
    search_backend.refresh()

    assert f"  stale: 1 (e.g. {p.family_id})" in out.getvalue()
    assert "search_check: repaired 1 differences; 0 remain" in out.getvalue()
    assert search_backend.snapshot() == {p.family_id: current_hashes()[p.family_id]}


def test_index_text_does_not_depend_on_the_language_that_indexed_it(search_backend):
    from django.utils import translation

    from tests.factories.search import _certify, build_catalog

    data = build_catalog()
    _certify(data["products"]["pepper"], "ORGANIC_EU")
    with translation.override("en"):  # published by an English-speaking request
        index_everything(search_backend)
    checked = io.StringIO()
    with translation.override("vi"):
        call_command("search_check", stdout=checked)
        call_command("search_reindex", stdout=io.StringIO())
    again = io.StringIO()
    with translation.override("en"):
        call_command("search_check", stdout=again)
    organic = [found(q) for q in ("hữu cơ", "huu co", "organic")]

    assert checked.getvalue().strip().endswith("0 differences (0 missing, 0 extra, 0 stale)")
    assert again.getvalue().strip().endswith("0 differences (0 missing, 0 extra, 0 stale)")
    assert organic == [[data["products"]["pepper"].pk]] * 3


def _swap_in_an_index_built_by_older_code(backend):
    """What a deploy leaves behind when the new code adds fields (e.g. the facet twins) to the
    mapping: the live index has the previous layout and no layout fingerprint."""
    from search.backends import engine_query as eq

    body = eq.index_body()
    del body["mappings"]["_meta"]
    body["mappings"]["properties"]["in_stock"].pop("fields", None)  # an older, twin-less field
    old = f"{backend.read_alias}-1"
    backend._call(backend._delete_index, f"{backend.read_alias}-*")
    backend._call(backend._create_index, old, body)
    backend._call(
        backend._update_aliases,
        [
            {"add": {"index": old, "alias": backend.read_alias}},
            {"add": {"index": old, "alias": backend.write_alias}},
        ],
    )
    return old


def test_an_index_built_with_an_older_layout_is_seen_and_rebuilt_only_then(engine_backend):
    from market.background import PermanentError
    from search.tasks import check_and_repair

    product = ProductFactory(name_vi="Hồi Lạng Sơn")
    old = _swap_in_an_index_built_by_older_code(engine_backend)
    sync.apply({product.family_id}, engine_backend)
    engine_backend.refresh()
    check = io.StringIO()

    assert "run manage.py search_reindex" in (engine_backend.outdated() or "")
    with pytest.raises(SystemExit):  # no drift, but the layout alone fails the check
        call_command("search_check", stdout=check)
    with pytest.raises(PermanentError):  # the nightly task ends FAILED: admins see it
        check_and_repair()
    assert f"layout: {engine_backend.name} index {old} was built with layout unknown" in (
        check.getvalue()
    )

    first = io.StringIO()
    call_command("search_reindex", "--if-outdated", stdout=first)
    rebuilt = engine_backend._call(engine_backend._alias_indices, engine_backend.read_alias)
    second = io.StringIO()
    call_command("search_reindex", "--if-outdated", stdout=second)

    assert "search_reindex: done" in first.getvalue() and rebuilt != [old]
    assert engine_backend.outdated() is None
    assert "nothing to do" in second.getvalue() and "done" not in second.getvalue()
    assert engine_backend._call(engine_backend._alias_indices, engine_backend.read_alias) == rebuilt
    assert found("hoi") == [product.pk]
    call_command("search_check", stdout=io.StringIO())  # no SystemExit: current and no drift


def test_a_current_index_passes_the_layout_check(search_backend):
    ProductFactory(name_vi="Quế Văn Yên")
    index_everything(search_backend)

    assert search_backend.outdated() is None
    out = io.StringIO()
    call_command("search_reindex", "--if-outdated", stdout=out)
    assert "nothing to do" in out.getvalue()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_drain_waiting_on_a_postgres_rebuild_does_not_deadlock_with_it(settings):
    """A drain (a worker) that starts while the rebuild holds the documents' table must wait
    for the table before it locks its families: locked first, the drain waited on the table
    while holding a family that the rebuild's own drain of the outbox then waited for, and
    PostgreSQL broke the deadlock by rolling back the whole rebuild."""
    from django.db import connection

    settings.SEARCH_BACKEND = "database"
    settings.SEARCH_SYNC_ON_COMMIT = False
    product = ProductFactory(name_vi="Bưởi da xanh Bến Tre")
    sync.reindex()
    errors, workers = [], []

    def worker_drain():
        try:
            sync.drain()
        except Exception as exc:  # what the test asserts on
            errors.append(exc)
        finally:
            connection.close()

    def meanwhile():  # inside the rebuild's transaction (the table locked), before its drain
        worker = threading.Thread(target=worker_drain)
        workers.append(worker)
        worker.start()
        time.sleep(1.5)  # the worker has its locks and waits on the table

    # given a change committed to the outbox, not drained yet
    change(product, name_vi="Bưởi Năm Roi")

    # when a rebuild runs and a worker's drain starts during it
    stats = sync.reindex(after_load=meanwhile)
    workers[0].join(20)

    # then both finish: nothing rolled back, the change is in the index
    assert errors == []
    assert stats.loaded == 1
    assert found("nam roi") == [product.pk]
    assert OutboxEvent.objects.count() == 0
