"""Errors of RFQs and quotes, each with a stable machine code."""

from django.utils.translation import gettext_lazy as _

from market.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed  # noqa: F401


class CompanyBuyerRequired(DomainError):
    code = "company_buyer_required"
    status = 403
    default_message = _("Only company buyers can request quotations; add your company profile.")


class RfqClosed(DomainError):
    code = "rfq_closed"
    status = 409
    default_message = _("This request for quotation is closed.")


class RfqAwarded(DomainError):
    code = "rfq_awarded"
    status = 409
    default_message = _("Another quote was already accepted for this request.")


class QuoteNotAcceptable(DomainError):
    code = "quote_not_acceptable"
    status = 409
    default_message = _("This quote cannot be accepted.")


class QuoteLocked(DomainError):
    code = "quote_locked"
    status = 409
    default_message = _("An accepted or declined quote can no longer be changed.")


class BelowMoq(ValidationFailed):
    code = "below_moq"
    default_message = _("The quantity is below the minimum order quantity of this quote.")


class IncotermInvalid(ValidationFailed):
    code = "incoterm_invalid"
    default_message = _("This Incoterm is not in the list.")


class DepositPercentInvalid(ValidationFailed):
    code = "deposit_percent_invalid"
    default_message = _("The deposit percent must be between 0 and 100.")


class CurrencyUnsupported(ValidationFailed):
    code = "currency_unsupported"
    default_message = _("This currency is not supported; use USD or VND.")
