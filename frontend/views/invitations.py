"""The page an invitation e-mail links to: sign in with the invited address, then accept."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from frontend.views.common import SignedInRequest
from market.errors import DomainError
from market.invitations import services as invitations


@login_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request: SignedInRequest, token: str) -> HttpResponse:
    try:
        pending = invitations.invitation_get_pending(token=token)
        if request.method == "POST":
            invitations.membership_accept(user=request.user, token=token)
            messages.success(
                request,
                _("You are now a member of %(name)s.") % {"name": pending.cooperative.display_name},
            )
            return redirect("frontend:home")
    except DomainError as exc:
        return render(
            request, "frontend/invitation_accept.html", {"error": exc.message}, status=exc.status
        )
    return render(
        request,
        "frontend/invitation_accept.html",
        {"cooperative": pending.cooperative.display_name, "role": pending.get_role_display()},
    )
