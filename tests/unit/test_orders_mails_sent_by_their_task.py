"""The order mails are sent by the task that composes them (market.shared.mail.mail_send_here),
each mail a step of it: no second task per checkout, and still nobody mailed twice when the mail
server fails mid-way or a worker dies mid-way. Without a broker (the task runs in this process
after commit); the same against a real worker: tests/integration/test_background_worker.py."""

import logging
import uuid

import pytest

from market.background import run_here
from market.models import BackgroundTask
from tests.factories.catalog import ProductFactory
from tests.factories.market import MembershipFactory, UserFactory
from tests.factories.orders import place

pytestmark = pytest.mark.django_db


def _sent(folder, text: str) -> int:
    return sum(p.read_text().count(text) for p in folder.glob("[!.]*"))


@pytest.fixture
def mail_files(settings, tmp_path):
    settings.EMAIL_BACKEND = "tests.mail_backends.FailOnceFileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    return tmp_path


def _coop_with_staff(*emails):
    product = ProductFactory()
    for email in emails:
        MembershipFactory(cooperative=product.cooperative, user=UserFactory(email=email))
    return product


def test_a_checkouts_mails_are_sent_by_its_placement_task_and_no_second_task(
    mail_files, django_capture_on_commit_callbacks
):
    # given a cooperative with two staff members
    product = _coop_with_staff("a@htx.vn", "b@htx.vn")
    buyer = UserFactory(email="buyer@example.vn", language="en")

    # when the buyer places an order and it commits
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        checkout = place(buyer, (product, 1))
    code = checkout.orders.get().code

    # then the three mails went out once each, over one connection, from the placement task alone
    assert len(callbacks) >= 1
    assert _sent(mail_files, f"Your order {code} has been placed") == 1
    assert [_sent(mail_files, f"To: {a}\n") for a in ("a@htx.vn", "b@htx.vn")] == [1, 1]
    assert len(list(mail_files.glob("[!.]*"))) == 1
    assert not BackgroundTask.objects.exists()  # no failure recorded, no mail task queued


def test_when_the_mail_server_fails_mid_way_the_mails_not_sent_are_queued_and_sent_once(
    mail_files, django_capture_on_commit_callbacks, caplog
):
    # given a mail server that drops the connection at the second of three mails
    product = _coop_with_staff("fail-once-staff@htx.vn", "b@htx.vn")
    buyer = UserFactory(email="buyer@example.vn", language="vi")

    # when an order is placed
    with caplog.at_level(logging.WARNING, logger="htx.mail"):
        with django_capture_on_commit_callbacks(execute=True):
            checkout = place(buyer, (product, 1))

    # then the two mails not sent were handed to a mail task, which sent them: each once
    assert "2 mails queued to send later" in caplog.text
    assert [
        _sent(mail_files, f"To: {a}\n")
        for a in ("buyer@example.vn", "fail-once-staff@htx.vn", "b@htx.vn")
    ] == [1, 1, 1]
    assert checkout.orders.count() == 1
    assert not BackgroundTask.objects.filter(status=BackgroundTask.Status.FAILED).exists()


def test_a_redelivered_placement_task_sends_only_the_mails_its_first_attempt_did_not(
    mail_files, django_capture_on_commit_callbacks
):
    # given a placed order whose placement task sent its first mail, then its worker died: the
    # row (as with a broker) says one step done, and the broker hands the message out again
    product = _coop_with_staff("a@htx.vn", "b@htx.vn")
    buyer = UserFactory(email="buyer@example.vn", language="vi")
    with django_capture_on_commit_callbacks(execute=False):
        checkout = place(buyer, (product, 1))
    order_ids = [checkout.orders.get().pk]
    row = BackgroundTask.objects.create(
        id=uuid.uuid4(),
        name="orders.mail_orders_placed",
        kwargs={"order_ids": order_ids},
        status=BackgroundTask.Status.RUNNING,
        progress=1,
    )
    BackgroundTask.objects.filter(pk=row.pk).update(started_at="2000-01-01T00:00:00Z")

    # when the task runs again
    assert run_here(row.name, row.pk, row.kwargs) is True

    # then the staff's two mails went out and the buyer's was not sent again
    assert [
        _sent(mail_files, f"To: {a}\n") for a in ("buyer@example.vn", "a@htx.vn", "b@htx.vn")
    ] == [0, 1, 1]
    row.refresh_from_db()
    assert (row.status, row.progress) == ("DONE", 3)


def test_a_task_redelivered_after_a_staff_change_sends_the_rest_of_the_mails_it_composed(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    # given a placed order's mail task whose worker died sending its third mail (the buyer's and
    # the first staff member's were sent)
    from tests.mail_backends import WorkerDied

    settings.EMAIL_BACKEND = "tests.mail_backends.DiesOnceFileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    product = _coop_with_staff("a@htx.vn", "dies-b@htx.vn")
    buyer = UserFactory(email="buyer@example.vn", language="vi")
    with django_capture_on_commit_callbacks(execute=False):
        checkout = place(buyer, (product, 1))
    row = BackgroundTask.objects.create(
        id=uuid.uuid4(),
        name="orders.mail_orders_placed",
        kwargs={"order_ids": [checkout.orders.get().pk]},
    )
    with pytest.raises(WorkerDied):
        run_here(row.name, row.pk, row.kwargs)
    row.refresh_from_db()
    assert (row.status, row.progress) == ("RUNNING", 2)

    # when the first staff member leaves before the message is handed out again
    from market.models import User

    User.objects.filter(email="a@htx.vn").update(is_active=False)
    BackgroundTask.objects.filter(pk=row.pk).update(started_at="2000-01-01T00:00:00Z")
    assert run_here(row.name, row.pk, row.kwargs) is True

    # then the mail not sent went out (the list composed again would have shifted it into the
    # steps done), and nobody got one twice
    assert [
        _sent(tmp_path, f"To: {a}\n") for a in ("buyer@example.vn", "a@htx.vn", "dies-b@htx.vn")
    ] == [1, 1, 1]
    row.refresh_from_db()
    assert (row.status, row.progress) == ("DONE", 3)
