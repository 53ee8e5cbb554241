"""DRF permission classes: who may call at all. Selectors then scope what they see (404), and
services re-check before writing."""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from market.models import User


class IsPlatformAdmin(BasePermission):
    """Platform admins (active, holding `market.platform_admin`; not bare `is_staff`)."""

    message = _("Only platform administrators can do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_platform_admin)


def signed_in_user(request: Request) -> User:
    """The request's user, for views whose permission classes admit only signed-in users (the
    type of `request.user` also allows the anonymous user; this narrows it, and answers 401 as
    `IsAuthenticated` would if a view ever reached it without one)."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise NotAuthenticated()
    return user


class SignedInApiRequest(Request):
    """For the type checker only: the request of a view whose permission classes admit signed-in
    users alone (IsAuthenticated, IsPlatformAdmin, IsCooperativeStaff), or of a write under the
    default IsAuthenticatedOrReadOnly. Its user is never the anonymous one."""

    user: User
