from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from market.models import User


class EmailBackend(ModelBackend):
    """Authenticate by e-mail, case-insensitively. ModelBackend already runs the hasher on a
    missing user, so timing does not reveal whether an account exists."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        email: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        email = (email or username or "").strip().lower()
        return super().authenticate(request, username=email, password=password, **kwargs)
