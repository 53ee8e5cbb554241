"""DRF permission classes: who may call at all. Selectors then scope what they see (404), and
services re-check before writing."""
from rest_framework.permissions import BasePermission


class IsPlatformAdmin(BasePermission):
    """Platform admins (`is_staff`, active): the verification queue and verification moves."""

    message = "Only platform administrators can do this."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_platform_admin)
