"""The directory and the verification queue cost the same queries for 1 row as for 10."""

import pytest
from django.urls import reverse

from market.models import Cooperative
from tests.clients import web_client
from tests.factories.market import CooperativeFactory

pytestmark = pytest.mark.django_db


def test_directory_and_verification_queue_queries_do_not_grow_with_rows(
    actors, django_assert_max_num_queries
):
    from tests.factories.market import CooperativeDocumentFactory

    for _ in range(15):
        CooperativeFactory(verified=True)
        CooperativeDocumentFactory(
            cooperative=CooperativeFactory(status=Cooperative.Status.SUBMITTED)
        )
    admin = web_client(actors["admin"])

    with django_assert_max_num_queries(3):
        directory = web_client().get(reverse("frontend:directory"))
    with django_assert_max_num_queries(2):
        directory_api = web_client().get("/api/v1/cooperatives/")
    # + the header's cart badge (one count query) and the platform-admin permission (user and group
    # permissions, two queries once per request): constant, whatever the number of rows
    with django_assert_max_num_queries(8):
        queue = admin.get(reverse("frontend:staff_queue"))
    with django_assert_max_num_queries(7):  # + the same two permission queries
        queue_api = admin.get("/api/v1/admin/verification-queue/")

    assert [r.status_code for r in (directory, directory_api, queue, queue_api)] == [200] * 4
    assert len(directory.context["page"].object_list) == 17
    assert directory_api.json()["count"] == 17
    assert len(queue.context["queue"]) == 15
    assert queue_api.json()["count"] == 15
