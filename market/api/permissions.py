"""DRF permission classes: who may call at all. Selectors then scope what they see (404), and
services re-check before writing."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView


class IsPlatformAdmin(BasePermission):
    """Platform admins (active, holding `market.platform_admin`; not bare `is_staff`)."""

    message = _("Only platform administrators can do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_platform_admin)
