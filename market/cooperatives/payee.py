"""Changes of the account buyers pay into: identity changes, not profile edits.

The audit found that a cooperative MANAGER could PATCH the bank fields of a VERIFIED cooperative,
silently, and that the VietQR of an order already placed then showed the new account. Now:

- only owners may ask for a change (managers get 403);
- on a cooperative that was submitted or verified, the change is held as a `PayeeChange` PENDING
  until a platform admin approves it; payments keep using the verified account until then;
- every request and decision is a `VerificationEvent`, and every owner is e-mailed (a hijacked
  owner account cannot redirect money without the other owners hearing of it);
- the holder name is compared with the legal name (folded, "HTX"-style prefixes ignored); a
  mismatch can only be approved with the admin's explicit override;
- orders snapshot their payee at checkout (orders app), so an approved change never retargets an
  order already placed.

A DRAFT or REJECTED cooperative is not paid and its whole profile is checked at verification, so
a change there applies at once when the holder name matches (or is not given yet); a holder name
that does not match waits for an admin.
"""

import logging
import re

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from market.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from market.models import Cooperative, Membership, PayeeChange, User, VerificationEvent
from market.reference import validators
from market.reference.admin_units import fold
from market.shared.mail import mail_queue

log = logging.getLogger("htx.market")
Status = Cooperative.Status
PAYEE_FIELDS = ("bank_bin", "bank_account", "bank_account_name")
APPLY_AT_ONCE = {Status.DRAFT, Status.REJECTED}

# Legal-form words a bank writes (or leaves out) in front of the name: "HTX", "Hợp tác xã",
# "Liên hiệp HTX", "Tổ hợp tác"... folded and without spaces.
_PREFIXES = ("lienhiephoptacxa", "lienhiephtx", "lhhtx", "hoptacxa", "htx", "tohoptac", "tht")
_TRUNCATED_MIN = 20  # banks cut holder names (often at 50 chars); a long enough prefix still counts


def _core_name(name: str) -> str:
    compact = re.sub(r"[^0-9a-z]", "", fold(name))
    for prefix in _PREFIXES:
        if compact.startswith(prefix):
            return compact[len(prefix) :]
    return compact


def payee_name_matches(*, holder: str, legal_name: str) -> bool:
    """Does the account holder name the cooperative itself? Folded (no accents, case, spaces or
    punctuation), "HTX"/"Hợp tác xã"/... prefixes ignored; a bank's truncation of a long legal
    name (at least 20 letters kept) matches too."""
    held, legal = _core_name(holder), _core_name(legal_name)
    if not held or not legal:
        return False
    return held == legal or (len(held) >= _TRUNCATED_MIN and legal.startswith(held))


def _clean(data: dict) -> dict:
    cleaned, errors = {name: (data.get(name) or "").strip() for name in PAYEE_FIELDS}, {}
    try:
        cleaned["bank_account_name"] = validators.single_line(
            cleaned["bank_account_name"], field="bank_account_name", required=False
        )
    except validators.InvalidField as exc:
        errors.update(exc.fields)
    for name, check in (
        ("bank_bin", validators.bank_bin),
        ("bank_account", validators.bank_account),
    ):
        if cleaned[name]:
            try:
                cleaned[name] = check(cleaned[name])
            except validators.InvalidField as exc:
                errors.update(exc.fields)
    if errors:
        raise ValidationFailed(fields=errors)
    return cleaned


def payee_change_request(
    *, actor: User, cooperative: Cooperative, data: dict
) -> PayeeChange | None:
    """Ask to change the payee of a locked `cooperative` (owner only); runs inside the caller's
    transaction (`cooperative_update`). Returns the PENDING change, or None when it applied at
    once (draft/rejected cooperative, matching name) or changes nothing.

    Raises PermissionDenied (not an owner), ValidationFailed."""
    membership = Membership.objects.filter(user=actor, cooperative=cooperative).first()
    if membership is None or membership.role != Membership.Role.OWNER:
        message = _("Only the cooperative's owners can change the bank account.")
        raise PermissionDenied(
            message, fields={n: [message] for n in PAYEE_FIELDS if n in data}, code="owner_only"
        )
    current = {n: getattr(cooperative, n) for n in PAYEE_FIELDS}
    wanted = _clean({**current, **{n: data[n] for n in PAYEE_FIELDS if n in data}})
    if wanted == current:
        return None
    matches = payee_name_matches(
        holder=wanted["bank_account_name"], legal_name=cooperative.legal_name
    )
    if cooperative.status in APPLY_AT_ONCE and (matches or not wanted["bank_account_name"]):
        for name, value in wanted.items():
            setattr(cooperative, name, value)
        cooperative.save(update_fields=[*PAYEE_FIELDS, "updated_at"])
        return None
    PayeeChange.objects.filter(cooperative=cooperative, status=PayeeChange.Status.PENDING).update(
        status=PayeeChange.Status.SUPERSEDED, decided_at=timezone.now()
    )
    change = PayeeChange.objects.create(
        cooperative=cooperative, requested_by=actor, name_matches=matches, **wanted
    )
    _record(cooperative, actor, VerificationEvent.Kind.PAYEE_CHANGE_REQUESTED, change)
    return change


def _lock_change(cooperative_id: int, change_id: int) -> tuple[Cooperative, PayeeChange]:
    # Parent before child, as everywhere: the cooperative row, then its change.
    coop = Cooperative.objects.select_for_update().filter(pk=cooperative_id).first()
    change = (
        PayeeChange.objects.select_for_update()
        .filter(pk=change_id, cooperative_id=cooperative_id)
        .first()
    )
    if coop is None or change is None:
        raise NotFound()
    if change.status != PayeeChange.Status.PENDING:
        raise Conflict(_("This change has already been decided."), code="payee_change_decided")
    return coop, change


def _require_admin(actor: User) -> None:
    if not (actor and actor.is_authenticated and actor.is_platform_admin):
        raise PermissionDenied(_("Only platform administrators can approve bank account changes."))


@transaction.atomic
def payee_change_approve(
    *, actor: User, cooperative_id: int, change_id: int, override_name_check: bool = False
) -> PayeeChange:
    """Make a pending change the cooperative's payee (platform admins). A holder name that does
    not match the legal name needs `override_name_check=True`.

    Raises PermissionDenied, NotFound, Conflict (decided already, or name mismatch)."""
    _require_admin(actor)
    coop, change = _lock_change(cooperative_id, change_id)
    if not change.name_matches and not override_name_check:
        message = _(
            "The account holder is not the cooperative's legal name. Check the bank's "
            "confirmation, then approve with the name override."
        )
        raise Conflict(message, fields={"bank_account_name": [message]}, code="payee_name_mismatch")
    for name in PAYEE_FIELDS:
        setattr(coop, name, getattr(change, name))
    coop.save(update_fields=[*PAYEE_FIELDS, "updated_at"])
    change.status, change.decided_by, change.decided_at = (
        PayeeChange.Status.APPROVED,
        actor,
        timezone.now(),
    )
    change.name_override = not change.name_matches
    change.save(update_fields=["status", "decided_by", "decided_at", "name_override"])
    _record(coop, actor, VerificationEvent.Kind.PAYEE_CHANGE_APPROVED, change)
    return change


@transaction.atomic
def payee_change_reject(
    *, actor: User, cooperative_id: int, change_id: int, reason: str
) -> PayeeChange:
    """Refuse a pending change (platform admins), with a reason the owners see.

    Raises PermissionDenied, ValidationFailed (no reason), NotFound, Conflict."""
    _require_admin(actor)
    reason = (reason or "").strip()
    if not reason:
        message = _("Give a reason: the cooperative will see it.")
        raise ValidationFailed(message, fields={"reason": [message]}, code="reason_required")
    coop, change = _lock_change(cooperative_id, change_id)
    change.status, change.decided_by, change.decided_at, change.reason = (
        PayeeChange.Status.REJECTED,
        actor,
        timezone.now(),
        reason,
    )
    change.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    _record(coop, actor, VerificationEvent.Kind.PAYEE_CHANGE_REJECTED, change, reason=reason)
    return change


def _masked(account: str) -> str:
    return f"•••{account[-4:]}" if account else "—"


def _record(coop, actor, kind, change: PayeeChange, reason: str = "") -> None:
    """The audit row, and a mail to every owner (queued: it leaves after commit)."""
    summary = f"{change.bank_bin} {_masked(change.bank_account)} {change.bank_account_name}"
    VerificationEvent.objects.create(
        cooperative=coop,
        actor=actor,
        kind=kind,
        from_status=coop.status,
        to_status=coop.status,
        reason=f"{summary}. {reason}".strip(". ") if reason else summary,
    )
    notify_payee_change(cooperative_id=coop.pk, change_id=change.pk, kind=kind)


_MAIL = {
    VerificationEvent.Kind.PAYEE_CHANGE_REQUESTED: gettext_lazy(
        "Someone asked to change the bank account that buyers of %(name)s pay into, to "
        "%(account)s (%(holder)s). Buyers keep paying into the current account until the "
        "platform team approves it. If you did not ask for this, reply to this e-mail at once."
    ),
    VerificationEvent.Kind.PAYEE_CHANGE_APPROVED: gettext_lazy(
        "The bank account of %(name)s is now %(account)s (%(holder)s). Orders placed before "
        "today are still paid into the account shown on them."
    ),
    VerificationEvent.Kind.PAYEE_CHANGE_REJECTED: gettext_lazy(
        "The change of the bank account of %(name)s to %(account)s was refused. Reason: %(reason)s"
    ),
}


def notify_payee_change(*, cooperative_id: int, change_id: int, kind: str) -> int:
    """E-mail every active owner, each in their own language (market.shared.mail: the mails
    leave after commit, and a mail failure never undoes the change). Returns mails queued."""
    change = PayeeChange.objects.select_related("cooperative").filter(pk=change_id).first()
    if change is None:
        return 0
    coop = change.cooperative
    owners = User.objects.filter(
        memberships__cooperative_id=cooperative_id,
        memberships__role=Membership.Role.OWNER,
        is_active=True,
    )
    sent = 0
    for owner in owners:
        language = owner.language or "vi"
        with translation.override(language):
            subject = _("HTX Market: bank account of %(name)s") % {"name": coop.display_name}
            body = str(_MAIL[VerificationEvent.Kind(kind)]) % {
                "name": coop.display_name,
                "account": _masked(change.bank_account),
                "holder": change.bank_account_name,
                "reason": change.reason,
            }
        mail_queue(to=[owner.email], language=language, subject=subject, body=body)
        sent += 1
    return sent
