"""DRF permission classes for the catalog API."""

from rest_framework.permissions import IsAuthenticated

from market.cooperatives.selectors import is_cooperative_staff
from market.errors import NotFound


class IsCooperativeStaff(IsAuthenticated):
    """Signed in (else 401) and a member of the cooperative in the URL (else 404, checked before
    the body is even parsed, so outsiders learn nothing from validation errors). Selectors and
    services check again."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if not is_cooperative_staff(user=request.user, cooperative_id=view.kwargs["coop_id"]):
            raise NotFound()
        return True
