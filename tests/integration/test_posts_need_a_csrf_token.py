"""Web form posts without a CSRF token are refused and change nothing."""

import pytest
from django.test import Client
from django.urls import reverse

from market.models import Cooperative
from tests.factories.market import CooperativeFactory

pytestmark = pytest.mark.django_db


def test_posts_without_a_csrf_token_are_refused_and_change_nothing(actors):
    from market.models import User

    waiting = CooperativeFactory(status=Cooperative.Status.SUBMITTED)
    admin = Client(enforce_csrf_checks=True)
    admin.force_login(actors["admin"])
    users_before = User.objects.count()

    codes = [
        admin.post(reverse("frontend:staff_decide", args=[waiting.pk, "verify"])).status_code,
        Client(enforce_csrf_checks=True)
        .post(reverse("frontend:signup"), {"email": "x@htx.vn", "password": "mat-khau-dai-123"})
        .status_code,
    ]

    waiting.refresh_from_db()
    assert codes == [403, 403]
    assert waiting.status == Cooperative.Status.SUBMITTED
    assert User.objects.count() == users_before
