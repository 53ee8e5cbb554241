"""Errors of the ledger app, each with a stable machine code."""

from django.utils.translation import gettext_lazy as _

from market.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ReasonRequired,
    ValidationFailed,
)

__all__ = [
    "AdminOnly",
    "BankReferenceRequired",
    "Conflict",
    "DomainError",
    "NotFound",
    "PayoutExceedsBalance",
    "PayoutLineNotPending",
    "PeriodInvalid",
    "PermissionDenied",
    "ReasonRequired",
    "Unbalanced",
    "ValidationFailed",
]


class Unbalanced(DomainError):
    """A programming error: a posting whose entries do not sum to zero is never written."""

    code = "ledger_unbalanced"
    status = 500
    default_message = _("The ledger transaction is not balanced.")


class AdminOnly(PermissionDenied):
    code = "admin_only"
    default_message = _("Only platform administrators can do this.")


class PayoutExceedsBalance(DomainError):
    code = "payout_exceeds_balance"
    status = 422
    default_message = _("The payout is more than the cooperative's available balance.")


class PayoutLineNotPending(DomainError):
    code = "payout_line_not_pending"
    status = 409
    default_message = _("This payout line was already settled.")


class BankReferenceRequired(DomainError):
    code = "bank_reference_required"
    status = 400
    default_message = _("Give the bank's reference of the transfer.")


class PeriodInvalid(DomainError):
    code = "period_invalid"
    status = 400
    default_message = _("Use a month as YYYY-MM, not in the future.")
