"""Background tasks of the market app: e-mail, and the upkeep of the task queue itself."""

import logging
from datetime import timedelta

from celery import shared_task
from django.core.mail import send_mail as django_send_mail
from django.utils import timezone

from market import background
from market.background import HtxTask, PermanentError
from market.models import BackgroundTask
from market.shared.mail import mail_send_steps

log = logging.getLogger("htx.mail")


@shared_task(base=HtxTask, name="market.send_mails")
def send_mails(*, messages: list[dict]) -> int:
    """Send rendered plain-text mails ({to, subject, body}; queued together by
    market.shared.mail.mail_queue_many) over one connection to the mail server. Each mail sent is
    a step of the task: an SMTP error raises, and the retry (with backoff; FAILED in the end)
    starts with the first mail not sent, so nobody gets one twice. A mail the server refuses for
    good (an address that does not exist) is passed over, not retried, so it never holds back the
    mails after it; the task then ends FAILED naming those addresses. Returns how many were
    handled."""
    start = background.steps_done()
    refused = mail_send_steps(messages)
    if refused:
        raise PermanentError(
            f"the mail server refused {', '.join(refused)} for good; the other mails were sent"
        )
    return max(len(messages) - start, 0)


@shared_task(base=HtxTask, name="market.send_mail")
def send_mail(*, to: list[str], subject: str, body: str) -> int:
    """One mail as queued before `market.send_mails` (messages of an older version still on the
    broker, or FAILED rows an admin retries)."""
    return django_send_mail(subject, body, None, to, fail_silently=False)


@shared_task(base=HtxTask, name="market.background_flush", max_retries=0)
def background_flush() -> int:
    """Publish queued work the broker did not take (it was down), every 30 s from beat."""
    return background.flush()


@shared_task(base=HtxTask, name="market.background_prune", max_retries=0)
def background_prune(*, days: int = 14) -> int:
    """Delete DONE task rows older than `days` (FAILED rows stay until an admin deals with them)."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = BackgroundTask.objects.filter(
        status=BackgroundTask.Status.DONE, finished_at__lt=cutoff
    ).delete()
    return deleted
