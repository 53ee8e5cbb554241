"""Two quotes of one RFQ accepted at the same moment (real threads, each with its own PostgreSQL
connection): exactly one order, one accepted quote, the other refused; the same quote accepted
twice at once: one order."""

import threading

import pytest
from django.db import connection

from orders.models import Checkout, Installment, Order
from quotes.errors import RfqAwarded
from quotes.models import Quote, Rfq
from quotes.services import quote_accept
from tests.factories.quotes import give_quote, post_rfq

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def admin_units():
    from market.models import Province
    from market.reference.admin_units import load

    if not Province.objects.exists():
        load()


def race(fns):
    barrier, outcomes = threading.Barrier(len(fns)), [None] * len(fns)

    def run(i, fn):
        try:
            barrier.wait()
            outcomes[i] = ("ok", fn())
        except Exception as exc:  # collected and asserted on by the test
            outcomes[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def test_two_quotes_accepted_at_once_make_exactly_one_order(trade):
    rfq = post_rfq(trade)
    first, second = give_quote(trade, rfq), give_quote(trade, rfq, other=True)
    buyer = trade["buyer"]

    outcomes = race(
        [
            lambda: quote_accept(actor=buyer, quote_id=first.pk),
            lambda: quote_accept(actor=buyer, quote_id=second.pk),
        ]
    )

    kinds = sorted(kind for kind, _v in outcomes)
    assert kinds == ["error", "ok"], outcomes
    error = next(v for kind, v in outcomes if kind == "error")
    assert isinstance(error, RfqAwarded)
    assert Order.objects.count() == 1 and Checkout.objects.count() == 1
    assert Installment.objects.count() == 2
    assert sorted(Quote.objects.values_list("status", flat=True)) == ["ACCEPTED", "DECLINED"]
    assert Rfq.objects.get(pk=rfq.pk).status == "AWARDED"


def test_one_quote_accepted_twice_at_once_makes_one_order(trade):
    rfq = post_rfq(trade)
    quote = give_quote(trade, rfq)
    buyer = trade["buyer"]

    outcomes = race([lambda: quote_accept(actor=buyer, quote_id=quote.pk) for _ in range(4)])

    assert [kind for kind, _v in outcomes] == ["ok"] * 4, outcomes
    assert len({v.order_id for _k, v in outcomes}) == 1
    assert Order.objects.count() == 1
