"""The ledger's periodic work is scheduled on beat, and each task does what its command does."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ledger.models import PayoutBatch
from market.celery import app
from orders.models import OrderEvent
from orders.services.transitions import order_transition
from tests.factories.catalog import ProductFactory
from tests.factories.market import UserFactory
from tests.factories.orders import place_order

pytestmark = pytest.mark.django_db


def test_beat_runs_auto_completion_the_ledger_check_and_the_weekly_payout():
    app.loader.import_default_modules()
    schedule = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}

    assert {"orders.complete_delivered", "ledger.check", "ledger.payout_run"} <= set(schedule)
    assert all(name in app.tasks for name in schedule)  # every scheduled name is a real task
    assert schedule["ledger.payout_run"].day_of_week == {1}  # Mondays


def test_the_tasks_complete_release_check_and_pay_out(settings):
    settings.ORDER_AUTO_COMPLETE_DAYS, settings.LEDGER_PAYOUT_MINIMUM_VND = 7, 0
    app.loader.import_default_modules()
    admin = UserFactory(platform_admin=True)
    order = place_order(UserFactory(), ProductFactory(price_vnd=500_000), payment_method="cod")
    for step in ("CONFIRMED", "PACKED", "SHIPPED", "DELIVERED"):
        extra = {"carrier": "GHN", "tracking_number": "T1"} if step == "SHIPPED" else {}
        order_transition(actor=admin, order_id=order.pk, to=step, **extra)
    OrderEvent.objects.filter(order=order, to_status="DELIVERED").update(
        created_at=timezone.now() - timedelta(days=8)
    )

    completed = app.tasks["orders.complete_delivered"].run()
    checked = app.tasks["ledger.check"].run()
    payout = app.tasks["ledger.payout_run"].run()

    order.refresh_from_db()
    assert completed == {"completed": 1, "checked": 1} and order.status == "COMPLETED"
    assert checked == {"transactions": 3, "drift_vnd": 0, "unbalanced": 0}
    # COD: the cooperative holds the money and owes the commission, so nobody is paid out.
    assert payout == {"batch": None, "lines": 0} and not PayoutBatch.objects.exists()
