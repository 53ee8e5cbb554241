"""What the cooperative's order desk reads does not grow with the cooperative's history: its
tabs are counted only up to `DESK_COUNT_UP_TO` (a bigger tab says "N+" and pages on without a
page count), and the site header asks for the platform-admin grant with one statement instead
of loading every permission of the user and their groups (bench/load.py: runs on one stack got
slower as orders piled up; the desk counted all of a cooperative's orders on every page)."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from frontend import reads
from orders.models import Order
from tests.factories.catalog import ProductFactory
from tests.factories.market import MembershipFactory, UserFactory
from tests.factories.orders import place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(monkeypatch):
    monkeypatch.setattr(reads, "DESK_COUNT_UP_TO", 3)
    monkeypatch.setattr(reads, "DESK_PAGE_SIZE", 2)
    product = ProductFactory(price_vnd=100_000, stock_qty=500)
    staff = MembershipFactory(cooperative=product.cooperative).user
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(staff)
    client.cookies["django_language"] = "en"

    def orders(n):
        return [place_order(UserFactory(), product, qty=1) for _i in range(n)]

    return client, reverse("frontend:coop_orders", args=[product.cooperative_id]), orders


def _statements(client, url):
    client.get(url)  # per-process caches (content types, translations) fill once
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return response, [q["sql"] for q in ctx.captured_queries]


def _order_reads(statements):
    return [s for s in statements if '"orders_order"' in s and s.lstrip().startswith("SELECT")]


def test_the_desk_reads_the_same_bounded_statements_whatever_the_history(desk):
    client, url, orders = desk
    orders(2)
    _r, few = _statements(client, url)

    orders(6)  # the tab is now past what is counted
    _r, many = _statements(client, url)

    assert len(many) == len(few)
    # Every read of the orders stops after a bounded number of rows (the counts too: before,
    # a GROUP BY over every order of the cooperative).
    assert _order_reads(many) and all(" LIMIT " in s for s in _order_reads(many))
    # The platform-admin grant: one statement, not the user's and the groups' permission sets.
    assert sum('"auth_permission"' in s for s in many) == 1
    assert len(many) == 11


def test_a_tab_past_the_count_says_so_and_pages_on_without_a_page_count(desk):
    client, url, orders = desk
    placed = orders(5)
    codes = [o.code for o in sorted(placed, key=lambda o: (o.placed_at, o.pk))]

    first = client.get(url).content.decode()
    third = client.get(url + "?page=3").content.decode()
    beyond = client.get(url + "?page=9").content.decode()

    assert re.search(r"\(3\+\)</a>", first)  # the PLACED tab, counted up to 3
    assert "(0)</a>" in first  # the others, exactly
    assert [c for c in codes if f'id="order-{c}"' in first] == codes[:2]
    assert "Page 1<" in first and "Page 1 of" not in first and "page=2" in first
    assert [c for c in codes if f'id="order-{c}"' in third] == codes[4:]
    assert "page=2" in third and "page=4" not in third  # previous, no next
    assert not any(f'id="order-{c}"' in beyond for c in codes)
    assert Order.objects.filter(status=Order.Status.PLACED).count() == 5


def test_a_tab_within_the_count_keeps_its_numbered_pager(desk):
    client, url, orders = desk
    orders(3)

    page = client.get(url).content.decode()

    assert re.search(r"\(3\)</a>", page) and "Page 1 of 2" in page


def test_the_platform_admin_grant_is_read_in_one_statement_with_has_perms_answer():
    from market.cooperatives.demo import platform_admins_group

    grant = Permission.objects.get(content_type__app_label="market", codename="platform_admin")
    by_group = UserFactory()
    by_group.groups.add(platform_admins_group())
    direct = UserFactory()
    direct.user_permissions.add(grant)
    superuser = UserFactory(is_superuser=True)
    inactive = UserFactory(is_active=False)
    inactive.user_permissions.add(grant)
    staff_only = UserFactory(is_staff=True)
    other_group = UserFactory()
    other_group.groups.add(Group.objects.create(name="Support"))
    other_group.user_permissions.add(Permission.objects.get(codename="view_order"))
    users = [by_group, direct, superuser, inactive, staff_only, other_group]

    answers = []
    for user in users:
        fresh = type(user).objects.get(pk=user.pk)
        with CaptureQueriesContext(connection) as ctx:
            answers.append((fresh.is_platform_admin, fresh.is_platform_admin))
        assert len(ctx.captured_queries) <= 1  # asked once, then kept on the instance
    expected = [type(u).objects.get(pk=u.pk).has_perm("market.platform_admin") for u in users]

    assert [a for a, _again in answers] == expected == [True, True, True, False, False, False]
    assert all(a == again for a, again in answers)


def test_a_page_number_past_any_offset_of_an_open_ended_tab_is_an_empty_page_not_an_error(desk):
    client, url, orders = desk
    orders(4)  # past what is counted: the open-ended pager

    response = client.get(url + "?page=" + "9" * 25)

    assert response.status_code == 200
    assert "Page 1<" not in response.content.decode()
    assert Order.objects.filter(status=Order.Status.PLACED).count() == 4


def test_the_tab_counts_of_a_list_scoped_to_nothing_are_empty():
    from orders.selectors import order_list_for_cooperative_staff, order_status_counts

    product = ProductFactory(price_vnd=100_000, stock_qty=5)
    place_order(UserFactory(), product, qty=1)
    outsider = UserFactory()  # a member of no cooperative: the list is scoped to none

    mine = order_list_for_cooperative_staff(user=outsider, cooperative_id=product.cooperative_id)

    assert order_status_counts(mine, up_to=1000) == {}
    assert order_status_counts(Order.objects.none(), up_to=1000) == {}
