"""Search errors with stable codes (rendered by market.api.responses.exception_handler)."""

from django.utils.translation import gettext_lazy as _

from market.errors import DomainError, ValidationFailed


class InvalidSearch(ValidationFailed):
    code = "invalid_search"
    default_message = _("The search parameters are invalid.")


class PageTooDeep(DomainError):
    code = "page_too_deep"
    status = 400
    default_message = _(
        "This page is too deep. Use the cursor from the previous page to go further."
    )


class SearchUnavailable(DomainError):
    code = "search_unavailable"
    status = 503
    default_message = _("Search is temporarily unavailable. Please try again in a moment.")
