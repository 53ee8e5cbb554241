import pytest
from django.contrib.auth import authenticate

from market.cooperatives import demo
from market.models import Cooperative

pytestmark = pytest.mark.django_db


def test_demo_logins_work_and_seed_is_idempotent(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    demo.seed(lambda message: None)
    demo.seed(lambda message: None)

    assert authenticate(email=demo.ADMIN_EMAIL, password=demo.ADMIN_PASSWORD).is_platform_admin
    assert authenticate(email="buyer@htx.market", password=demo.DEMO_PASSWORD) is not None
    assert (
        authenticate(email="owner+htx-ca-phe-ea-tul@htx.market", password=demo.DEMO_PASSWORD)
        is not None
    )
    assert Cooperative.objects.count() == len(demo.COOPERATIVES)
    assert Cooperative.objects.filter(status="SUBMITTED").count() >= 1
