"""market.shared.compiled: a `.values()` query by ids, compiled once, gives what `.values()` gives."""

import pytest
from django.db.models import Q

from catalog.models import Category, Product
from market.shared.compiled import rows_for_ids
from tests.factories.catalog import CategoryFactory, ProductFactory


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
