"""Security audit, finding 2: /admin/login/ was not throttled, and any `is_staff` account had
platform-admin powers in the API."""

import pytest
from django.core.cache import cache

from market.models import Cooperative, VerificationEvent
from tests.conftest import client_for
from tests.factories import market as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttles(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "login": "10/min",
        },
    }
    cache.clear()
    yield
    cache.clear()


def test_admin_login_blocks_after_ten_failures_even_with_the_right_password(client):
    admin = f.UserFactory(email="root@htx.market", platform_admin=True)

    wrong = [
        client.post("/admin/login/", {"username": admin.email, "password": f"sai-{i}"})
        for i in range(10)
    ]
    right = client.post("/admin/login/", {"username": admin.email, "password": "mat-khau-123"})

    assert [r.status_code for r in wrong] == [200] * 10
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still sent to the login page


def test_admin_login_shares_the_limit_with_the_api_login(client, api_client):
    admin = f.UserFactory(email="root@htx.market", platform_admin=True)
    for i in range(10):
        api_client.post("/api/v1/auth/login/", {"email": admin.email, "password": f"x{i}"})

    response = client.post("/admin/login/", {"username": admin.email, "password": "mat-khau-123"})

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_admin_login_still_works_below_the_limit(client):
    admin = f.UserFactory(email="root@htx.market", platform_admin=True)
    for i in range(3):
        client.post("/admin/login/", {"username": admin.email, "password": f"sai-{i}"})

    response = client.post(
        "/admin/login/?next=/admin/", {"username": admin.email, "password": "mat-khau-123"}
    )

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(admin.pk)


def test_bare_is_staff_has_no_platform_admin_powers():
    support = f.UserFactory(is_staff=True)  # can open /admin/, holds no platform permission
    coop = f.CooperativeFactory(status=Cooperative.Status.SUBMITTED)

    queue = client_for(support).get("/api/v1/admin/verification-queue/")
    verify = client_for(support).post(f"/api/v1/cooperatives/{coop.pk}/verify/")

    assert support.is_platform_admin is False
    assert queue.status_code == 403
    assert verify.status_code in (403, 404)
    coop.refresh_from_db()
    assert coop.status == Cooperative.Status.SUBMITTED
    assert not VerificationEvent.objects.filter(cooperative=coop).exists()


def test_the_platform_admin_permission_or_group_grants_the_powers():
    from django.contrib.auth.models import Group

    from market.cooperatives.demo import platform_admins_group

    member = f.UserFactory()
    member.groups.add(platform_admins_group())
    coop = f.CooperativeFactory(status=Cooperative.Status.SUBMITTED)
    f.CooperativeDocumentFactory(cooperative=coop)

    queue = client_for(member).get("/api/v1/admin/verification-queue/")
    verify = client_for(member).post(f"/api/v1/cooperatives/{coop.pk}/verify/")

    assert (
        Group.objects.get(name="Platform admins")
        .permissions.filter(codename="platform_admin")
        .exists()
    )
    assert queue.status_code == 200
    assert verify.status_code == 200
    coop.refresh_from_db()
    assert coop.status == Cooperative.Status.VERIFIED
