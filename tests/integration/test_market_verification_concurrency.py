"""Two admins act on the same submitted cooperative at the same moment: the row lock makes the
second one see the first one's result, so exactly one move happens and one audit row is written."""

import threading

import pytest
from django.db import connection

from market.cooperatives import services
from market.errors import InvalidTransition
from market.models import Cooperative, OutboxEvent, VerificationEvent
from tests.factories import market as f


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_verify_and_reject_only_one_wins(settings):
    settings.SEARCH_SYNC_ON_COMMIT = (
        False  # keep the outbox rows to count them (no drain after commit)
    )
    coop = f.CooperativeFactory(status="SUBMITTED")
    admins = [f.UserFactory(platform_admin=True) for _ in range(2)]
    barrier, outcomes = threading.Barrier(2), []

    def act(admin, move):
        try:
            barrier.wait()
            move(admin)
            outcomes.append("ok")
        except InvalidTransition:
            outcomes.append("refused")
        finally:
            connection.close()

    moves = [
        lambda a: services.cooperative_verify(actor=a, cooperative_id=coop.pk),
        lambda a: services.cooperative_reject(
            actor=a, cooperative_id=coop.pk, reason="Trùng hồ sơ"
        ),
    ]
    threads = [threading.Thread(target=act, args=(admins[i], moves[i])) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    coop.refresh_from_db()
    assert sorted(outcomes) == ["ok", "refused"]
    assert coop.status in ("VERIFIED", "REJECTED")
    assert list(VerificationEvent.objects.values_list("to_status", flat=True)) == [coop.status]
    assert OutboxEvent.objects.filter(entity="cooperative", entity_id=coop.pk).count() == 1
    assert Cooperative.objects.count() == 1
