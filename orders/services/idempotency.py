"""`Idempotency-Key` for create endpoints (IETF draft-ietf-httpapi-idempotency-key-header):
400 when missing, 409 while the same key is in flight, 422 when reused with a different body,
the stored response replayed otherwise.

The claim is its own short transaction, so a concurrent request sees it at once; the response
is stored when the operation finishes. A failed operation (a DomainError: nothing was written)
releases the key, so the client may retry with the same key after fixing the cause."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from orders.errors import (
    IdempotencyKeyInFlight,
    IdempotencyKeyInvalid,
    IdempotencyKeyMissing,
    IdempotencyKeyReused,
)
from orders.models import IdempotencyKey

KEY_TTL = timedelta(hours=24)
# A STARTED claim older than this belongs to a crashed request: the work was one transaction
# that never committed, so running again is safe.
STALE_AFTER = timedelta(minutes=2)


@dataclass
class Claim:
    record: IdempotencyKey
    replay: tuple[int | None, Any] | None = None  # (status, body) of the finished request


def fingerprint(body: object) -> str:
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, default=str, separators=(",", ":")).encode()
    ).hexdigest()


def _validate(key: str | None) -> str:
    if key is None or key == "":
        raise IdempotencyKeyMissing()
    key = key.strip().strip('"')  # the draft quotes the value as a structured-field string
    if not key or len(key) > 255 or not all(32 < ord(c) < 127 for c in key):
        raise IdempotencyKeyInvalid()
    return key


def idempotency_claim(*, principal: str, key: str | None, scope: str, body: object) -> Claim:
    """Claim `key` for this principal and request. Raises IdempotencyKeyMissing/Invalid (400),
    IdempotencyKeyInFlight (409) or IdempotencyKeyReused (422); returns a Claim whose `replay`
    is the stored (status, body) when the request already finished."""
    key, fp, now = _validate(key), fingerprint(body), timezone.now()
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(
                principal=principal,
                key=key,
                scope=scope,
                fingerprint=fp,
                locked_at=now,
                expires_at=now + KEY_TTL,
            )
            return Claim(record=record)
    except IntegrityError:
        pass
    with transaction.atomic():
        record = IdempotencyKey.objects.select_for_update(of=("self",)).get(
            principal=principal, key=key
        )
        if record.expires_at < now:
            record.delete()
            return idempotency_claim(principal=principal, key=key, scope=scope, body=body)
        if record.fingerprint != fp or record.scope != scope:
            raise IdempotencyKeyReused()
        if record.state == IdempotencyKey.State.FINISHED:
            return Claim(record=record, replay=(record.response_status, record.response_body))
        if record.locked_at and now - record.locked_at < STALE_AFTER:
            raise IdempotencyKeyInFlight()
        record.locked_at = now
        record.save(update_fields=["locked_at"])
        return Claim(record=record)


def idempotency_finish(*, claim: Claim, status: int, body: object) -> None:
    IdempotencyKey.objects.filter(pk=claim.record.pk).update(
        state=IdempotencyKey.State.FINISHED,
        response_status=status,
        response_body=json.loads(json.dumps(body, default=str)),
        locked_at=None,
    )


def idempotency_release(*, claim: Claim) -> None:
    IdempotencyKey.objects.filter(pk=claim.record.pk, state=IdempotencyKey.State.STARTED).delete()


def idempotency_purge(*, now: datetime | None = None) -> int:
    return IdempotencyKey.objects.filter(expires_at__lt=now or timezone.now()).delete()[0]
