"""Domain errors with stable machine codes.

Every app's `errors.py` subclasses `DomainError`. The one DRF exception handler
(`market.api.responses.exception_handler`) turns them into `{"code", "message", "fields"}` with `status`;
forms show the same `message`. Messages are lazily translated (Vietnamese by default).
"""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "invalid"
    status = 400
    default_message = _("The request is invalid.")

    def __init__(self, message=None, *, fields: dict | None = None, code: str | None = None):
        self.message = message if message is not None else self.default_message
        self.fields = fields or {}
        if code:
            self.code = code
        super().__init__(str(self.message))


class ValidationFailed(DomainError):
    code = "validation_failed"
    status = 400
    default_message = _("Some fields are invalid.")


class ReasonRequired(ValidationFailed):
    """A move that must say why (refusing, cancelling, refunding, adjusting the ledger…)."""

    code = "reason_required"
    default_message = _("A reason is required.")


class NotFound(DomainError):
    """Used for both 'missing' and 'not yours': the answer must not reveal which."""

    code = "not_found"
    status = 404
    default_message = _("Not found.")


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    default_message = _("You do not have permission to do this.")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = _("The request conflicts with the current state.")


class InvalidTransition(DomainError):
    code = "invalid_transition"
    status = 409
    default_message = _("This status change is not allowed.")


class CooperativeNotVerified(DomainError):
    code = "cooperative_not_verified"
    status = 409
    default_message = _("The cooperative must be verified first.")


class MissingDocuments(DomainError):
    code = "missing_documents"
    status = 422
    default_message = _("Upload the business registration certificate before submitting.")
