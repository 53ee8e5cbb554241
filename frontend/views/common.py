"""Small helpers shared by the page views."""
from functools import wraps

from django.http import Http404

from market.errors import NotFound


def has_nul(kwargs) -> bool:
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


def page_params(request) -> str:
    """The current query string without `page`, ready to prefix `page=N` in pager links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode() + "&" if params else ""
