"""Background tasks of the market app: e-mail, and the upkeep of the task queue itself."""

import logging
import smtplib
from datetime import timedelta

from celery import shared_task
from django.core.mail import EmailMessage, get_connection
from django.core.mail import send_mail as django_send_mail
from django.utils import timezone

from market import background
from market.background import HtxTask, PermanentError
from market.models import BackgroundTask

log = logging.getLogger("htx.mail")


def _refused_for_good(exc: smtplib.SMTPException) -> bool:
    """The server refused this one mail for good (5xx for its recipients or its content): another
    attempt would fail the same way. A refused sender, a dropped connection or a 4xx is the
    server's or our setup's state, and is retried."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return True
    return (
        isinstance(exc, smtplib.SMTPResponseException)
        and not isinstance(exc, smtplib.SMTPSenderRefused)
        and exc.smtp_code >= 500
    )


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
    if start >= len(messages):
        return 0
    refused: list[str] = []
    with get_connection(fail_silently=False) as connection:
        for message in messages[start:]:
            try:
                EmailMessage(
                    message["subject"], message["body"], None, message["to"], connection=connection
                ).send()
            except smtplib.SMTPException as exc:
                if not _refused_for_good(exc):
                    raise
                log.warning("mail to %s refused for good: %s", message["to"], exc)
                refused += message["to"]
            background.step_done()
    if refused:
        raise PermanentError(
            f"the mail server refused {', '.join(refused)} for good; the other mails were sent"
        )
    return len(messages) - start


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
