"""The login/sign-up/reset limits outside DRF views: the web forms and the Django admin login."""

from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle
from rest_framework.views import APIView


class ScopeThrottle(SimpleRateThrottle):
    """The API's limits (scopes `login`, `signup`, `password_reset`, per client address) on the web
    forms and the admin login too, kept in the same cache entries: nobody gains by switching
    between them."""

    scope: str

    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__()
        # SimpleRateThrottle sets these from the rate; declared here for the type checker.
        self.num_requests: int
        self.duration: int

    def get_rate(self) -> str:
        # Read now, not at import: settings may change in tests.
        return str(api_settings.DEFAULT_THROTTLE_RATES[self.scope])

    def get_cache_key(self, request: Request | HttpRequest, view: APIView | None) -> str | None:
        # get_ident reads only request.META, which the admin login's HttpRequest has too; the
        # stubs ask for a DRF Request.
        ident = self.get_ident(request)  # type: ignore[arg-type]
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def exhausted(self, request: HttpRequest) -> bool:
        self.key = self.get_cache_key(request, None)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) >= self.num_requests

    def record(self) -> None:
        self.throttle_success()  # DRF's name: it appends this attempt to the history


class LiveScopedRateThrottle(ScopedRateThrottle):
    """DRF's `ScopedRateThrottle` with the rates read when a request is checked. DRF binds
    `THROTTLE_RATES` once, when `rest_framework.throttling` is first imported: a rate changed after
    that (settings in tests, a settings reload) was silently ignored, and the API and the web
    forms (`ScopeThrottle`) could apply different limits to one shared history."""

    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES[str(self.scope)]  # KeyError: no rate named
        return None if rate is None else str(rate)
