"""Idempotency keys: claim, replay, in flight, reuse, crash recovery, expiry."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.errors import IdempotencyKeyInFlight, IdempotencyKeyMissing, IdempotencyKeyReused
from orders.models import IdempotencyKey
from orders.services.idempotency import (
    STALE_AFTER,
    idempotency_claim,
    idempotency_finish,
    idempotency_purge,
    idempotency_release,
)

pytestmark = pytest.mark.django_db
BODY = {"payment_method": "cod", "address": {"ward_code": 1}}


def claim(key="k", body=BODY, principal="user:1"):
    return idempotency_claim(principal=principal, key=key, scope="POST checkout", body=body)


def test_body_key_order_does_not_matter_for_the_fingerprint():
    first = claim()
    idempotency_finish(claim=first, status=201, body={"id": 7})

    again = claim(body={"address": {"ward_code": 1}, "payment_method": "cod"})

    assert again.replay == (201, {"id": 7})


@pytest.mark.parametrize("key", [None, ""])
def test_missing_key(key):
    with pytest.raises(IdempotencyKeyMissing):
        claim(key=key)

    assert IdempotencyKey.objects.count() == 0


def test_in_flight_then_stale_claim_is_taken_over():
    first = claim()
    with pytest.raises(IdempotencyKeyInFlight):
        claim()
    IdempotencyKey.objects.update(locked_at=timezone.now() - STALE_AFTER - timedelta(seconds=1))

    taken = claim()

    assert taken.record.pk == first.record.pk and taken.replay is None


def test_reuse_with_other_body_is_refused_even_when_finished():
    idempotency_finish(claim=claim(), status=201, body={})

    with pytest.raises(IdempotencyKeyReused):
        claim(body={"payment_method": "bank_transfer"})


def test_release_lets_the_same_key_run_again():
    idempotency_release(claim=claim())

    assert claim().replay is None and IdempotencyKey.objects.count() == 1


def test_expired_keys_start_afresh_and_are_purged():
    idempotency_finish(claim=claim(), status=201, body={"id": 1})
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    fresh = claim(body={"other": True})

    assert fresh.replay is None
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert idempotency_purge() == 1 and IdempotencyKey.objects.count() == 0
