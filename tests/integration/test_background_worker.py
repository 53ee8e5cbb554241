"""Background tasks against a real Redis broker and a real Celery worker process (no eager mode):
enqueue after commit, the worker runs the task once, a failure that cannot be fixed is recorded
without retries, work queued while the broker is down is published by background_flush."""

import json
import uuid

import pytest
from django.db import transaction

from market.background import enqueue, flush, request_id_var, retry_failed
from market.models import BackgroundTask
from market.shared.mail import mail_compose, mail_queue, mail_queue_many
from tests.celery_worker import use_broker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]
Status = BackgroundTask.Status


def _row(task_id: str) -> BackgroundTask:
    return BackgroundTask.objects.get(pk=task_id)


def _mails(worker) -> list[str]:
    folder = worker.log_dir / "mail"  # one file per connection to the mail server
    return [p.read_text() for p in sorted(folder.glob("[!.]*"))] if folder.exists() else []


def _sent(worker, text: str) -> int:
    """How many times a mail containing `text` was sent (each mail file holds one connection's)."""
    return sum(m.count(text) for m in _mails(worker))


def test_a_mail_queued_in_a_transaction_is_sent_once_by_the_worker_after_commit(
    transactional_db, broker
):
    # given a request id and a mail queued inside a transaction
    token = request_id_var.set("req-" + uuid.uuid4().hex[:12])
    try:
        with transaction.atomic():
            task_id = mail_queue(
                to=["buyer@example.vn"], language="vi", subject="Đơn hàng", body="Xin chào"
            )
            # then nothing is published before the commit
            assert _row(task_id).status == Status.QUEUED
    finally:
        request_id, _ = request_id_var.get(), request_id_var.reset(token)

    # then the worker sends it once, the row says DONE, and the task logs the request id
    row = wait_for(lambda: _row(task_id).status == Status.DONE and _row(task_id), what="DONE")
    assert row.attempts == 0 and row.finished_at is not None
    mails = [m for m in _mails(broker) if "Xin chào" in m]
    assert len(mails) == 1 and "buyer@example.vn" in mails[0]
    lines = [json.loads(ln) for ln in broker.log().splitlines() if ln.startswith("{")]
    mine = [ln for ln in lines if ln.get("task_id") == task_id]
    assert mine and all(ln.get("request_id") == request_id for ln in mine)


def test_the_mails_of_one_checkout_are_sent_once_each_by_its_placement_task_over_one_connection(
    transactional_db, broker
):
    from orders.models import Checkout
    from tests.factories.catalog import ProductFactory
    from tests.factories.market import MembershipFactory, UserFactory
    from tests.factories.orders import place

    # given two cooperatives with two staff members each, and a buyer of both
    products = [ProductFactory(), ProductFactory()]
    staff = [
        MembershipFactory(cooperative=p.cooperative, user=UserFactory(language="vi")).user
        for p in products
        for _ in range(2)
    ]
    buyer = UserFactory(language="en")

    # when the buyer places one checkout (two orders)
    checkout = place(buyer, (products[0], 1), (products[1], 1))
    codes = sorted(checkout.orders.values_list("code", flat=True))

    # then the placement task sends the six mails itself (the buyer's per order, each staff
    # member's), each a step of it, and queues no second task for them ...
    row = wait_for(
        lambda: (
            BackgroundTask.objects.filter(name="orders.mail_orders_placed", status=Status.DONE)
            .filter(kwargs__order_ids=sorted(checkout.orders.values_list("pk", flat=True)))
            .first()
        ),
        what="the checkout's mails sent",
    )
    assert (row.progress, row.attempts) == (6, 0)
    assert not BackgroundTask.objects.filter(name="market.send_mails").exists()
    # ... once each, over one connection (one mail file)
    files = [m for m in _mails(broker) if codes[0] in m or codes[1] in m]
    assert len(files) == 1
    assert files[0].count(f"Your order {codes[0]} has been placed") == 1
    assert files[0].count(f"Your order {codes[1]} has been placed") == 1
    assert [files[0].count(f"To: {u.email}\n") for u in staff] == [1, 1, 1, 1]
    assert files[0].count(f"To: {buyer.email}\n") == 2
    assert Checkout.objects.filter(pk=checkout.pk).exists()


def test_a_batch_that_fails_mid_way_resumes_after_the_mails_already_sent(transactional_db, broker):
    # given three mails queued together; the mail server drops the connection at the second
    tag = uuid.uuid4().hex[:10]
    addresses = [f"first-{tag}@example.vn", f"fail-once-{tag}@example.vn", f"third-{tag}@ex.vn"]
    task_id = mail_queue_many(
        mail_compose(to=a, language="vi", subject=f"Lô {tag}", body=f"thư {tag} cho {a}")
        for a in addresses
    )

    # then the task is retried and ends DONE after two attempts ...
    row = wait_for(lambda: _row(task_id).status == Status.DONE and _row(task_id), what="DONE")
    assert (row.attempts, row.progress) == (1, 3)
    assert f"Task market.send_mails[{task_id}] retry" in broker.log()
    # ... and every mail went out exactly once: the first one was not sent again
    assert [_sent(broker, f"thư {tag} cho {a}") for a in addresses] == [1, 1, 1]


def test_work_queued_in_a_rolled_back_transaction_never_runs(transactional_db, broker):
    # when the transaction that queued a mail rolls back
    with pytest.raises(RuntimeError), transaction.atomic():
        task_id = mail_queue(to=["x@example.vn"], language="en", subject="never", body="never")
        raise RuntimeError("rollback")

    # then there is no row and no mail
    assert not BackgroundTask.objects.filter(pk=task_id).exists()
    assert not [m for m in _mails(broker) if "never" in m]


def test_a_permanent_error_fails_at_once_without_retries_and_an_admin_retry_runs_it_again(
    transactional_db, broker
):
    # given an order mail about an order that does not exist (PermanentError in the task)
    task_id = enqueue("orders.mail_order_status_changed", order_id=987654321, event_id=1)

    # then it ends FAILED after one attempt, with the reason
    row = wait_for(lambda: _row(task_id).status == Status.FAILED and _row(task_id), what="FAIL")
    assert row.attempts == 1
    assert "PermanentError" in row.last_error and "987654321" in row.last_error
    assert f"Task orders.mail_order_status_changed[{task_id}] retry" not in broker.log()

    # when an admin retries it, it runs again (and fails again: still no such order)
    assert retry_failed(task_ids=[task_id]) == 1
    wait_for(lambda: _row(task_id).attempts == 2, what="second attempt")
    assert _row(task_id).status == Status.FAILED


def test_work_queued_while_the_broker_is_down_runs_once_it_is_back(
    transactional_db, broker, settings
):
    # given a broker that refuses connections (nothing listens on port 1)
    use_broker(settings, "redis://127.0.0.1:1/0", broker.queue)
    task_id = mail_queue(to=["late@example.vn"], language="en", subject="Late", body="late mail")

    # then the request did not fail and the work is kept, not published
    assert _row(task_id).status == Status.QUEUED
    assert flush(older_than_seconds=0) == 0  # still down: nothing published, nothing lost

    # when the broker is back, background_flush publishes it and the worker sends it once
    use_broker(settings, broker.broker_url, broker.queue)
    assert flush(older_than_seconds=0) == 1
    wait_for(lambda: _row(task_id).status == Status.DONE, what="DONE after flush")
    assert len([m for m in _mails(broker) if "late mail" in m]) == 1
    assert flush(older_than_seconds=0) == 0  # sent once, not again


def _set_stock(staff: dict, product, quantity) -> None:
    """A stock move committed by the product's cooperative (`staff`: its user by cooperative id)."""
    from catalog.services.products import product_stock_adjust

    product_stock_adjust(
        actor=staff[product.cooperative_id],
        cooperative_id=product.cooperative_id,
        product_id=product.pk,
        mode="set",
        quantity=quantity,
    )


def test_stock_moves_reach_the_index_in_one_coalesced_drain(transactional_db, broker, settings):
    """Checkouts move stock several times a second: their outbox rows wait a few seconds and one
    drain of the worker indexes them together (search.sync.on_changes_committed)."""
    from decimal import Decimal

    from django.core.cache import cache

    from market.models import OutboxEvent
    from search.backends import Query, get_backend
    from search.sync import STOCK_DRAIN_PENDING
    from tests.factories.market import MembershipFactory
    from tests.factories.search import build_catalog, index_everything

    settings.SEARCH_STOCK_DRAIN_SECONDS = 3
    cache.delete(STOCK_DRAIN_PENDING)
    products = build_catalog()["products"]
    index_everything(get_backend())
    moved = [products["robusta"], products["arabica"]]
    staff = {p.cooperative_id: MembershipFactory(cooperative=p.cooperative).user for p in moved}
    log_before = len(broker.log())  # the worker (and its log) serves the whole module
    try:
        # when two stock moves commit, one after the other (as two checkouts)
        for product in moved:
            _set_stock(staff, product, Decimal("0"))
        ids = [p.pk for p in moved]

        # then their rows wait for the coalesced drain (no drain per move) ...
        assert OutboxEvent.objects.filter(entity="product", entity_id__in=ids).count() == 2
        # ... which indexes both, once
        wait_for(lambda: not OutboxEvent.objects.filter(entity_id__in=ids).exists(), what="drained")
        in_stock = get_backend().search(Query(in_stock=True, size=100)).ids
        assert not {p.family_id for p in moved} & set(in_stock)
        log = broker.log()[log_before:]
        assert "search.drain_stock_changes[" in log and "Task search.drain_changes[" not in log
    finally:
        cache.delete(STOCK_DRAIN_PENDING)


def test_a_coalesced_drain_that_could_not_be_published_does_not_hold_back_later_moves(
    transactional_db, broker, settings
):
    """The broker is unreachable when the first stock move queues the coalesced drain: that kick
    is lost, and the pending flag must go with it, so the next move queues a drain that takes
    both moves' rows (instead of both waiting for the once-a-minute sync)."""
    from decimal import Decimal

    from django.core.cache import cache

    from market.models import OutboxEvent
    from search.backends import get_backend
    from search.sync import STOCK_DRAIN_PENDING
    from tests.factories.market import MembershipFactory
    from tests.factories.search import build_catalog, index_everything

    settings.SEARCH_STOCK_DRAIN_SECONDS = 1
    cache.delete(STOCK_DRAIN_PENDING)
    products = build_catalog()["products"]
    index_everything(get_backend())
    first, second = products["robusta"], products["arabica"]
    staff = {
        p.cooperative_id: MembershipFactory(cooperative=p.cooperative).user
        for p in products.values()
    }

    def move(product):
        _set_stock(staff, product, Decimal("1"))

    try:
        # when the first move commits while nothing listens on the broker's address (a real
        # refused connection, not a mock)
        use_broker(settings, "redis://127.0.0.1:1/0", broker.queue)
        move(first)
        # then its rows wait in the outbox, and no drain is believed to be pending
        assert OutboxEvent.objects.filter(entity_id=first.pk).exists()
        assert cache.get(STOCK_DRAIN_PENDING) is None

        # when the broker is back and a second move commits
        use_broker(settings, broker.broker_url, broker.queue)
        move(second)

        # then one coalesced drain indexes both
        wait_for(
            lambda: not OutboxEvent.objects.filter(entity_id__in=[first.pk, second.pk]).exists(),
            what="both moves drained",
        )
    finally:
        use_broker(settings, broker.broker_url, broker.queue)
        cache.delete(STOCK_DRAIN_PENDING)


def test_work_whose_worker_died_running_it_runs_again_once_its_time_limit_has_passed(
    transactional_db, broker, settings
):
    # given a mail task a worker claimed and then died running, its message gone (a child
    # process killed: the worker gave the message back at once, and that redelivery found the
    # row still RUNNING and was skipped)
    from datetime import timedelta

    from django.utils import timezone

    use_broker(settings, "redis://127.0.0.1:1/0", broker.queue)  # held back: queued only
    task_id = mail_queue(to=["orphan@example.vn"], language="en", subject="Hi", body="orphan mail")
    use_broker(settings, broker.broker_url, broker.queue)
    limit = settings.CELERY_TASK_TIME_LIMIT
    started = timezone.now() - timedelta(seconds=limit)  # within the time limit + 30 s
    BackgroundTask.objects.filter(pk=task_id).update(status=Status.RUNNING, started_at=started)

    # then while a live run could still be going, background_flush leaves it alone
    assert flush(older_than_seconds=0) == 0
    assert _row(task_id).status == Status.RUNNING

    # when the hard time limit has passed with no end recorded
    orphaned = timezone.now() - timedelta(seconds=limit + 31)
    BackgroundTask.objects.filter(pk=task_id).update(started_at=orphaned)

    # then background_flush publishes it, the worker runs it once, and once only
    assert flush(older_than_seconds=0) == 1
    wait_for(lambda: _row(task_id).status == Status.DONE, what="DONE after the orphan's flush")
    assert len([m for m in _mails(broker) if "orphan mail" in m]) == 1
    assert flush(older_than_seconds=0) == 0
