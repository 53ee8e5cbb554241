"""Mails queued together (market.shared.mail.mail_queue_many) without a broker: one task sends
them in this process after commit; a failure mid-way is recorded with the mails already sent, and
the admin's retry sends only the others."""

import pytest

from market.background import retry_failed
from market.models import BackgroundTask
from market.shared.mail import mail_compose, mail_queue_many

pytestmark = pytest.mark.django_db


def _sent(folder, text: str) -> int:
    return sum(p.read_text().count(text) for p in folder.glob("[!.]*"))


def _queue_together(settings, tmp_path, backend: str, addresses: list[str]) -> BackgroundTask:
    """One mail to each address, queued together with `tests.mail_backends.<backend>` as the mail
    server (files in tmp_path), committed: the task runs in this process (no broker)."""
    from django.test import TestCase

    settings.EMAIL_BACKEND = f"tests.mail_backends.{backend}"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    mails = [
        mail_compose(to=a, language="vi", subject="Thông báo", body=f"gửi {a}") for a in addresses
    ]
    with TestCase.captureOnCommitCallbacks(execute=True):
        mail_queue_many(mails)
    return BackgroundTask.objects.get(name="market.send_mails")


def test_a_failed_batch_keeps_its_progress_and_the_retry_sends_only_the_rest(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    # given a mail server that drops the connection at the second of three mails, when they are
    # queued together and the transaction commits
    addresses = ["mot@example.vn", "fail-once@example.vn", "ba@example.vn"]
    row = _queue_together(settings, tmp_path, "FailOnceFileBackend", addresses)

    # then the task failed after sending the first, and says so
    assert (row.status, row.progress, row.attempts) == ("FAILED", 1, 1)
    assert "SMTPServerDisconnected" in row.last_error
    assert [_sent(tmp_path, f"gửi {a}") for a in addresses] == [1, 0, 0]

    # when an admin retries it, the two others go out and the first is not sent again
    with django_capture_on_commit_callbacks(execute=True):
        assert retry_failed(task_ids=[row.pk]) == 1
    row.refresh_from_db()
    assert (row.status, row.progress) == ("DONE", 3)
    assert [_sent(tmp_path, f"gửi {a}") for a in addresses] == [1, 1, 1]


def test_an_address_refused_for_good_does_not_hold_back_the_mails_after_it(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    # given a mail server that refuses a mailbox that does not exist (550), when three mails are
    # queued together and the transaction commits
    addresses = ["mot@example.vn", "no-such@example.vn", "ba@example.vn"]
    row = _queue_together(settings, tmp_path, "RefusingFileBackend", addresses)

    # then the others are sent once, the task is not retried, and its failure names the address
    assert (row.status, row.progress, row.attempts) == ("FAILED", 3, 1)
    assert "no-such@example.vn" in row.last_error
    assert [_sent(tmp_path, f"gửi {a}") for a in addresses] == [1, 0, 1]

    # and an admin's retry sends nobody anything twice
    with django_capture_on_commit_callbacks(execute=True):
        retry_failed(task_ids=[row.pk])
    row.refresh_from_db()
    assert row.status == "DONE"
    assert [_sent(tmp_path, f"gửi {a}") for a in addresses] == [1, 0, 1]


def test_nothing_to_send_queues_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert mail_queue_many([]) is None

    assert not BackgroundTask.objects.exists()
