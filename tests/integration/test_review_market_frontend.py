"""Review of the market and frontend apps: bad input that gave a 500, and the web login that
could be guessed at without limit. Each test failed before its fix."""
import pytest

pytestmark = pytest.mark.django_db

HUGE = "9" * 30  # more digits than any database integer holds


@pytest.mark.parametrize("key", ["²", "¹²"])  # str.isdigit() is true for these, int() refuses them
def test_cooperative_detail_with_a_non_ascii_digit_key_is_404(actors, api_client, key):
    response = api_client.get(f"/api/v1/cooperatives/{key}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_cooperative_patch_with_a_non_ascii_digit_key_is_404_and_changes_nothing(actors):
    from tests.conftest import client_for

    name = actors["coop"].legal_name

    response = client_for(actors["admin"]).patch("/api/v1/cooperatives/²/", {"legal_name": "Đổi tên"}, format="json")

    actors["coop"].refresh_from_db()
    assert response.status_code == 404
    assert actors["coop"].legal_name == name


def test_directory_api_with_a_province_code_too_large_is_400_not_500(actors, api_client):
    response = api_client.get("/api/v1/cooperatives/", {"province": HUGE})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["province"]
