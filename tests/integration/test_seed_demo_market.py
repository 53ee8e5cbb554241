"""`manage.py seed_demo` as `make run` runs it, end to end: the demo market the foundation issue
and issue 16 promise. (It once seeded nothing when market/demo.py moved, and once stopped at the
checkout throttle: both only showed on a newcomer's `make run`.)"""

import io

import pytest
from django.core.management import call_command

from catalog.selectors import product_list_purchasable
from market.models import Cooperative
from orders.models import Order

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_seed_demo_makes_the_promised_market_and_runs_twice():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=out)  # idempotent

    verified = Cooperative.objects.filter(status="VERIFIED")
    assert verified.count() >= 40
    assert len(set(verified.values_list("province_id", flat=True))) >= 20
    assert verified.filter(slug="htx-nong-san-bac-giang", province__name="Bắc Ninh").exists()
    assert Cooperative.objects.filter(status="SUBMITTED").count() >= 1
    assert product_list_purchasable().count() >= 2000
    assert set(Order.objects.values_list("status", flat=True)) == set(Order.Status.values)
    assert (
        Order.objects.filter(
            payment_method="bank_transfer", payment_status="UNPAID", status="PLACED"
        ).count()
        >= 2
    )
