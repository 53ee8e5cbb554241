"""Test clients shared by the integration tests (helpers, not fixtures: they take the user)."""

from django.test import Client


def web_client(user=None) -> Client:
    """A browser-like client, signed in as `user` when given. A server error is answered as the
    500 page (not re-raised), so a test sees what a visitor would."""
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client
