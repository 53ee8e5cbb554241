"""Background tasks of the market app: e-mail, and the upkeep of the task queue itself."""

from datetime import timedelta

from celery import shared_task
from django.core.mail import send_mail as django_send_mail
from django.utils import timezone

from market import background
from market.background import HtxTask
from market.models import BackgroundTask


@shared_task(base=HtxTask, name="market.send_mail")
def send_mail(*, to: list[str], subject: str, body: str) -> int:
    """Send one rendered plain-text mail (queued by market.shared.mail.mail_queue). An SMTP error raises:
    the task is retried with backoff, then recorded as FAILED."""
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
