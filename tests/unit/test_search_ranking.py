"""The ranking of docs/search.md ("Ranking"), rule by rule, as behaviour on every configuration
(SQLite and PostgreSQL database backends, Elasticsearch, OpenSearch): the same order everywhere."""

import datetime

import pytest
from django.utils import timezone

from catalog.models import Product
from market.models import Province
from search.backends import Query
from search.selectors import product_search
from tests.factories.catalog import CategoryFactory, ProductFactory
from tests.factories.market import CooperativeFactory, UserFactory
from tests.factories.orders import place_order
from tests.factories.search import index_everything


def order_of(q: str, size: int = 20) -> list[int]:
    return [p.id for p in product_search(Query(q=q, size=size, facets=False)).results]


@pytest.fixture
def shop(search_backend):
    tea = CategoryFactory(slug="r-tea", name_vi="Chè", name_en="Tea")
    sweets = CategoryFactory(slug="r-sweets", name_vi="Bánh kẹo", name_en="Sweets")
    nuts = CategoryFactory(slug="r-nuts", name_vi="Các loại hạt", name_en="Nuts")
    honey = CategoryFactory(slug="r-honey", name_vi="Đặc sản", name_en="Specialities")
    north = CooperativeFactory(
        verified=True, legal_name="Hợp tác xã Xanh", province=Province.objects.get(code=19)
    )  # Thái Nguyên
    south = CooperativeFactory(
        verified=True, legal_name="Hợp tác xã Đỏ", province=Province.objects.get(code=79)
    )
    old = timezone.now() - datetime.timedelta(days=30)

    def make(key, name, category, coop=south, description="", created=None):
        product = ProductFactory(
            cooperative=coop,
            name_vi=name,
            name_en="",
            category=category,
            description_vi=description,
        )
        if created:
            Product.objects.filter(pk=product.pk).update(created_at=created)
        return key, product

    made = dict(
        [
            # oldest first: a tie must never go to the oldest (or the lowest id)
            make(
                "description_only",
                "Bánh cốm Hàng Than",
                sweets,
                description="Chè Tân Cương, chè Tân Cương, chè Tân Cương, chè Tân Cương.",
                created=old,
            ),
            make("context_only", "Bánh chưng", sweets, coop=north, created=old),
            make(
                "words_split",
                "Chè búp loại Tân Cương",
                tea,
                description="Chè Tân Cương.",
                created=old,
            ),
            make("phrase", "Chè Tân Cương đặc biệt", tea, created=old),
            make("some_words", "Chè xanh", tea, description="Tân Cương", created=old),
            make("typed", "Lạc rang", nuts),
            make("many_synonyms", "Đậu phộng peanut groundnut", nuts),
            make("one_synonym", "Đậu phộng rang", nuts),
            make("short", "Mật ong", honey),
            make("long", "Mật ong hoa nhãn rừng tự nhiên nguyên chất", honey),
            make("twin_old", "Gạo tám thơm", nuts, created=old),
            make("twin_new", "Gạo tám thơm", nuts),
            make("twin_ordered", "Gạo tám thơm", nuts, created=old - datetime.timedelta(days=1)),
        ]
    )
    place_order(UserFactory(), made["twin_ordered"])
    index_everything(search_backend)
    return {k: p.family_id for k, p in made.items()}  # search results are families


def test_phrase_then_all_words_then_some_in_name_then_description(shop):
    ranked = order_of("chè tân cương")

    assert ranked == [
        shop["phrase"],
        shop["words_split"],
        shop["some_words"],
        shop["description_only"],
    ]


def test_repeating_a_word_in_the_description_never_ranks_up(shop):
    ranked = order_of("che tan cuong")

    assert ranked[-1] == shop["description_only"]


def test_context_ranks_above_the_description(shop):
    ranked = order_of("thái nguyên")  # the north cooperative's province; a description nowhere

    assert ranked[0] == shop["context_only"]


def test_the_word_typed_ranks_above_its_synonyms_which_never_add_up(shop):
    ranked = order_of("lạc")

    assert ranked[0] == shop["typed"]
    # three synonyms in one name count as one: the shorter name wins the tie
    assert ranked[1:] == [shop["one_synonym"], shop["many_synonyms"]]


def test_field_length_is_normalised(shop):
    assert order_of("mật ong") == [shop["short"], shop["long"]]


def test_ties_go_to_orders_then_the_newest_never_the_id(shop):
    ranked = order_of("gạo tám thơm")

    assert ranked == [shop["twin_ordered"], shop["twin_new"], shop["twin_old"]]
