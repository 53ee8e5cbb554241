"""Provider notifications (Stripe events, bank-feed transactions) stored once by their id and
applied exactly once."""

from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from orders.errors import DomainError
from orders.models import PaymentWebhookEvent


def webhook_event_process(
    *,
    provider: str,
    event_id: str,
    type: str,
    payload: dict[str, Any],
    handler: Callable[[PaymentWebhookEvent], str],
) -> tuple[PaymentWebhookEvent, bool]:
    """Store a provider event once by (provider, event_id) and run `handler` on it exactly once.

    Returns (event, duplicate). A DomainError from the handler rolls everything back (nothing
    stored) and propagates; any other error is recorded on the event (attempts, last_error) in a
    separate transaction and re-raised, so the provider retries."""
    try:
        return _process(
            provider=provider, event_id=event_id, type=type, payload=payload, handler=handler
        )
    except DomainError:
        raise
    except Exception as exc:
        _record_failure(
            provider=provider, event_id=event_id, type=type, payload=payload, error=repr(exc)
        )
        raise


@transaction.atomic
def _process(
    *,
    provider: str,
    event_id: str,
    type: str,
    payload: dict[str, Any],
    handler: Callable[[PaymentWebhookEvent], str],
) -> tuple[PaymentWebhookEvent, bool]:
    # On PostgreSQL a concurrent duplicate blocks on the unique index until the first commits,
    # then finds its row here and sees processed_at set.
    PaymentWebhookEvent.objects.get_or_create(
        provider=provider, event_id=event_id, defaults={"type": type, "payload": payload}
    )
    event = PaymentWebhookEvent.objects.select_for_update(of=("self",)).get(
        provider=provider, event_id=event_id
    )
    if event.processed_at is not None:
        return event, True
    event.attempts += 1
    event.result = handler(event)
    event.processed_at, event.last_error = timezone.now(), ""
    event.save(update_fields=["attempts", "result", "processed_at", "last_error"])
    return event, False


def _record_failure(
    *, provider: str, event_id: str, type: str, payload: dict[str, Any], error: str
) -> None:
    try:
        with transaction.atomic():
            event, _c = PaymentWebhookEvent.objects.get_or_create(
                provider=provider, event_id=event_id, defaults={"type": type, "payload": payload}
            )
            PaymentWebhookEvent.objects.filter(pk=event.pk).update(
                attempts=event.attempts + 1, last_error=error[:2000]
            )
    except IntegrityError:
        pass
