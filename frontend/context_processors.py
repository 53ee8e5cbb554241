"""Template context every page gets: the cart's line count for the header badge."""

from functools import cached_property
from typing import Any

from django.http import HttpRequest

from orders.models import CartLine


class _CartLines:
    """Counted only when a page renders the badge (one query; none for a guest without a session)."""

    def __init__(self, request):
        self._request = request

    @cached_property
    def count(self) -> int:
        request = self._request
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return CartLine.objects.filter(cart__user=user).count()
        key = request.session.session_key if hasattr(request, "session") else None
        if not key:
            return 0
        return CartLine.objects.filter(cart__session_key=key, cart__user__isnull=True).count()


def cart(request: HttpRequest) -> dict[str, Any]:
    return {"cart_lines": _CartLines(request)}
