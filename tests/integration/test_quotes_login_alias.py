"""API clients log in with or without the trailing slash (a POST cannot be redirected)."""

import pytest

from tests.factories.market import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/auth/login/"])
def test_login_answers_a_token_with_or_without_the_slash(api_client, path):
    user = UserFactory(email="importer@example.de")

    r = api_client.post(path, {"email": user.email, "password": "mat-khau-123"}, format="json")

    assert r.status_code == 200 and r.json()["token"]
