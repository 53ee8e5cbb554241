"""The request's cart: the user's when signed in, else the guest cart of the session.
A guest cart is merged into the user's cart by orders at login."""

from typing import Literal, overload

from django.http import HttpRequest

from market.models import User
from orders.models import Cart
from orders.services.cart import cart_get_or_create, cart_merge


@overload
def current(request: HttpRequest, *, create: Literal[True]) -> Cart: ...
@overload
def current(request: HttpRequest, *, create: bool = False) -> Cart | None: ...
def current(request: HttpRequest, *, create: bool = False) -> Cart | None:
    """The cart for this request; with `create`, make one (and a session for a guest)."""
    if request.user.is_authenticated:
        return (
            cart_get_or_create(user=request.user)
            if create
            else Cart.objects.filter(user=request.user).first()
        )
    if create and not request.session.session_key:
        request.session.save()
    key = request.session.session_key
    if create:
        return cart_get_or_create(session_key=key)
    return Cart.objects.filter(session_key=key, user__isnull=True).first() if key else None


def peek(request: HttpRequest) -> str | None:
    """The guest session key, read before login() rotates it."""
    return request.session.session_key


def merge_into_user(request: HttpRequest, guest_session_key: str | None) -> None:
    if guest_session_key:
        assert isinstance(request.user, User)  # called right after login()
        cart_merge(user=request.user, session_key=guest_session_key)
