"""Small helpers shared by the page views."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe
from django_htmx.middleware import HtmxDetails

from market.cooperatives import selectors as market_selectors
from market.errors import DomainError, NotFound
from market.models import User
from market.shared import pagecache


class PageRequest(HttpRequest):
    """A page request as the middleware leaves it (django-htmx sets `htmx`). For the type
    checker only, the pattern django-stubs and django-htmx document: views receive the same
    request object either way."""

    htmx: HtmxDetails


class SignedInRequest(PageRequest):
    """A request that passed `login_required` (or `coop_staff`, `platform_admin`): its user is
    signed in, never the anonymous one."""

    user: User


def has_nul(kwargs: dict[str, Any]) -> bool:
    """A URL part with NUL (%00) names nothing; PostgreSQL would refuse it as a query parameter."""
    return any(isinstance(v, str) and "\x00" in v for v in kwargs.values())


def not_found_as_404(view):
    """Selectors raise NotFound for "missing or not yours"; pages answer that with a plain 404."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if has_nul(kwargs):
            raise Http404()
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404() from None

    return wrapper


def page_params(request: HttpRequest) -> str:
    """The current query string without `page`, ready to prefix `page=N` in pager links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode() + "&" if params else ""


def province_code(raw: str | None) -> int | None:
    """A posted province code as an int, or None when it is not plain ASCII digits (e.g. "²")."""
    return market_selectors.as_id(raw or "")


def ward_list(province_code: int | None) -> list:
    """The wards a ward picker lists: none until a known province is chosen."""
    if province_code is None:
        return []
    try:
        return list(market_selectors.ward_list_for_province(province_code=province_code))
    except NotFound:
        return []


def run_one(request, call, ok_message=None, *, describe=lambda exc: exc.message) -> bool:
    """A post's one domain call: on DomainError flash `describe(exc)`, else `ok_message` (if any).
    True when the call went through; the view then redirects either way."""
    try:
        call()
    except DomainError as exc:
        messages.error(request, describe(exc))
        return False
    if ok_message:
        messages.success(request, ok_message)
    return True


# Rendered into a shared page in place of the CSRF token, and replaced by the asker's own token.
CSRF_HOLE = "__htx-csrf-token__"


def shared_content(
    request: HttpRequest,
    template: str,
    build: Callable[[], dict[str, Any]],
    *,
    name: str,
    key: object,
) -> SafeString:
    """The main content of a public page (`template`, rendered with `build()`'s context). A
    guest's is the same for every guest, so it is kept in the shared page cache
    (market.shared.pagecache); a signed-in visitor's is rendered fresh."""
    if request.user.is_authenticated or pagecache.seconds() <= 0:
        return mark_safe(get_template(template).render(build(), request))
    html = pagecache.cached(
        name, key, lambda: render_for_guests(template, build()), keep=lambda html: True
    )
    return fill_csrf_hole(request, html)


def render_for_guests(template: str, context: dict[str, Any]) -> str:
    """`template` as any guest sees it: rendered without the request (no user, no USD hints),
    with a hole where the CSRF token goes (`fill_csrf_hole` puts the asker's own in)."""
    return get_template(template).render({**context, "csrf_token": CSRF_HOLE})


def fill_csrf_hole(request: HttpRequest, html: str) -> SafeString:
    return mark_safe(html.replace(CSRF_HOLE, get_token(request)))
