"""/admin/login/ behind the same `login` throttle as the API and the web sign-in form.

Django's admin login has no limit of its own: without this, a password could be guessed there
at any speed while the other two doors block after THROTTLE_LOGIN failures. Failures from one
client address count against the same cache entries whichever door they use."""

from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from market.accounts.throttles import ScopeThrottle


def admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    if request.method != "POST":
        return admin.site.login(request, extra_context)
    throttle = ScopeThrottle("login")
    if throttle.exhausted(request):
        return _too_many(request)
    response = admin.site.login(request, extra_context)
    if not (request.user.is_active and request.user.is_staff):
        throttle.record()  # only failures count: a correct sign-in never meets the limit
    return response


def _too_many(request):
    """The login form again, with nothing checked (the password is not even tried), and 429."""
    form = AdminAuthenticationForm(request, initial={"username": request.POST.get("username", "")})
    form.cleaned_data, form._errors = {}, ErrorDict()  # type: ignore[attr-defined]  # unbound, one error
    form.add_error(None, _("Too many attempts. Wait a few minutes and try again."))
    context = {
        **admin.site.each_context(request),
        "title": _("Log in"),
        "subtitle": None,
        "app_path": request.get_full_path(),
        "username": request.user.get_username(),
        "form": form,
    }
    return TemplateResponse(request, "admin/login.html", context, status=429)
