"""market.shared.compiled: a `.values()` query by ids, compiled once, gives what `.values()` gives."""

import gc
import threading
import weakref

import pytest
from django.db import connections, transaction
from django.db.models import Q
from django.db.transaction import TransactionManagementError

from catalog.models import Category, Product
from market.shared import compiled
from market.shared.compiled import instances_for_ids, rows_for_ids
from tests.factories.catalog import CategoryFactory, PriceTierFactory, ProductFactory


def _categories(ids):
    return Category.objects.filter(pk__in=ids).order_by("pk").values("pk", "name_vi", "parent_id")


def _products(ids):
    return Product.objects.filter(pk__in=ids).order_by("pk").values("pk", "options", "stock_qty")


def test_rows_are_those_of_values_for_any_ids_and_count(db):
    # given categories and products (JSON options, decimal stock)
    cats = [CategoryFactory() for _ in range(4)]
    products = [ProductFactory(options={"pack": f"{i}kg"}) for i in range(1, 4)]

    # when the same statements run with several id lists of one and of other lengths
    for ids in ([cats[0].pk, cats[2].pk], [cats[3].pk, cats[1].pk], [cats[1].pk], [999_999]):
        # then each answer is exactly the queryset's
        assert rows_for_ids("test-categories", Category, _categories, ids) == list(_categories(ids))
    ids = [p.pk for p in products]
    assert rows_for_ids("test-products", Product, _products, ids) == list(_products(ids))
    assert [r["options"] for r in rows_for_ids("test-products", Product, _products, ids)] == [
        {"pack": "1kg"},
        {"pack": "2kg"},
        {"pack": "3kg"},
    ]


def test_duplicate_ids_count_once_and_no_ids_ask_nothing(db, django_assert_num_queries):
    cats = [CategoryFactory() for _ in range(2)]

    with django_assert_num_queries(0):
        assert rows_for_ids("test-categories", Category, _categories, []) == []
    rows = rows_for_ids("test-categories", Category, _categories, [cats[1].pk, cats[1].pk])

    assert [r["pk"] for r in rows] == [cats[1].pk]


def test_a_statement_that_uses_an_id_twice_is_refused(db):
    def twice(ids):
        return Category.objects.filter(Q(pk__in=ids) | Q(parent_id__in=ids)).values("pk")

    with pytest.raises(ValueError):
        rows_for_ids("test-twice", Category, twice, [1, 2])


def test_a_connection_keeps_at_most_its_bound_of_statements_least_recently_used_dropped(
    db, monkeypatch
):
    # given a bound of 3 statements per connection and 5 categories
    monkeypatch.setattr(compiled, "PER_CONNECTION", 3)
    cats = [CategoryFactory() for _ in range(5)]
    connection = connections["default"]  # it may hold statements of earlier tests already

    # when statements for 1..5 ids are compiled, the one for 1 id used again after the 2nd
    for n in range(1, 6):
        rows_for_ids("test-bound", Category, _categories, [c.pk for c in cats[:n]])
        if n == 2:
            rows_for_ids("test-bound", Category, _categories, [cats[4].pk])

    # then the connection holds 3 of them: the 1-id one (used again) was dropped after 2 and 3
    # were (least recently used first), and a dropped one compiles again and answers the same
    kept = getattr(connection, compiled._ATTR)
    assert compiled.statements_kept(connection) == 3
    assert [k for k in kept if k[0] == "test-bound"] == [
        ("test-bound", 3),
        ("test-bound", 4),
        ("test-bound", 5),
    ]
    ids = [cats[1].pk]
    assert rows_for_ids("test-bound", Category, _categories, ids) == list(_categories(ids))
    assert list(kept)[-1] == ("test-bound", 1) and compiled.statements_kept(connection) == 3


def test_the_statements_of_a_thread_go_when_the_thread_ends(transactional_db):
    # given threads that each run a compiled statement on their own connection, then end
    def run(found):
        try:
            rows_for_ids("test-thread", Category, _categories, [999_999])
            found.append(weakref.ref(connections["default"]))
            found.append(compiled.statements_kept(connections["default"]))
        finally:
            connections.close_all()

    seen = []
    for _ in range(3):
        found: list = []
        worker = threading.Thread(target=run, args=(found,))
        worker.start()
        worker.join()
        seen.append(found)

    # then each thread's connection held its statement, and none of them is kept alive by it
    gc.collect()
    assert [n for _ref, n in seen] == [1, 1, 1]
    assert [ref() for ref, _n in seen] == [None, None, None]


def _products_with_coop(ids):
    return (
        Product.objects.filter(pk__in=ids)
        .select_related("cooperative__province")
        .prefetch_related("price_tiers")
        .order_by("pk")
    )


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_instances_are_those_of_the_queryset_with_their_joined_and_prefetched_objects(
    db, django_assert_num_queries
):
    # given products of two cooperatives, one with price tiers
    products = [ProductFactory() for _ in range(3)]
    PriceTierFactory(product=products[1], min_qty=10)
    ids = [products[2].pk, products[0].pk, products[1].pk]
    expected = list(_products_with_coop(ids))

    # when they are read through the compiled statement (twice: compiled, then kept)
    instances_for_ids("test-objects", Product, _products_with_coop, ids)
    with django_assert_num_queries(2):  # the rows, then the price tiers
        got = instances_for_ids("test-objects", Product, _products_with_coop, ids)

    # then each is the queryset's instance: every column, its cooperative and province joined
    # (no query to reach them) and its price tiers prefetched
    assert [_fields(p) for p in got] == [_fields(p) for p in expected]
    with django_assert_num_queries(0):
        assert [_fields(p.cooperative) for p in got] == [_fields(p.cooperative) for p in expected]
        assert [p.cooperative.province_id for p in got] == [
            p.cooperative.province_id for p in expected
        ]
        assert [[t.min_qty for t in p.price_tiers.all()] for p in got] == [
            [t.min_qty for t in p.price_tiers.all()] for p in expected
        ]
    assert all(not p._state.adding and p._state.db == "default" for p in got)
    assert instances_for_ids("test-objects", Product, _products_with_coop, [999_999]) == []


def _locked(ids):
    return Category.objects.filter(pk__in=ids).select_for_update().order_by("pk")


def _outcome(read):
    try:
        return [c.pk for c in read()]
    except TransactionManagementError:
        return TransactionManagementError


def test_a_locking_statement_runs_only_inside_a_transaction_even_once_compiled(
    transactional_db,
):
    # given a category, and the locking statement compiled once inside a transaction
    cat = CategoryFactory()
    with transaction.atomic():
        assert [c.pk for c in instances_for_ids("test-lock", Category, _locked, [cat.pk])] == [
            cat.pk
        ]

    # when it is run again outside one, as Django runs the queryset there
    got = _outcome(lambda: instances_for_ids("test-lock", Category, _locked, [cat.pk]))
    django = _outcome(lambda: _locked([cat.pk]))

    # then it is refused where Django refuses it (a backend that locks rows: PostgreSQL) and
    # read where Django reads it (SQLite writes no FOR UPDATE and checks nothing)
    assert got == django
    locks = connections["default"].features.has_select_for_update
    assert django == (TransactionManagementError if locks else [cat.pk])
