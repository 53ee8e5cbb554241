"""Invitations: how a person joins a cooperative's staff.

An owner invites an e-mail address; the address gets a link; the person, signed in with that
address, accepts and only then becomes a member. Nobody is added without consent, and the inviter
gets the same answer whether or not the address has an account (no account probing, no names).
Only a SHA-256 of the token is stored.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from market.cooperatives.services import _lock, _require_owner
from market.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from market.models import Cooperative, Invitation, Membership, User
from market.reference import validators
from market.shared.mail import mail_queue


def token_hash(token: str) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


def _clean(email: str, role: str) -> str:
    email = (email or "").strip().lower()
    try:
        validators.email(email)
    except validators.InvalidField as exc:
        raise ValidationFailed(fields=exc.fields, code=exc.code) from exc
    if role not in Membership.Role.values:
        raise ValidationFailed(fields={"role": [_("Unknown role.")]}, code="invalid_role")
    return email


@transaction.atomic
def membership_invite(*, actor: User, cooperative_id: int, email: str, role: str) -> None:
    """Invite `email` to the cooperative with `role` (owner only) and e-mail it a 7-day link after
    commit, in the account's language if the address has one, Vietnamese otherwise. Returns nothing
    on purpose: the caller must answer known and unknown addresses the same way. An expired pending
    invitation for the address is replaced.

    Raises NotFound, PermissionDenied, ValidationFailed (e-mail, role), Conflict (already invited)."""
    coop = _lock(cooperative_id)
    _require_owner(actor, coop)
    email = _clean(email, role)
    now = timezone.now()
    Invitation.objects.filter(
        cooperative=coop, email=email, accepted_at=None, revoked_at=None, expires_at__lte=now
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():  # savepoint: the pending-unique constraint becomes a clean 409
            Invitation.objects.create(
                cooperative=coop,
                email=email,
                role=role,
                token_hash=token_hash(token),
                invited_by=actor,
                created_at=now,
                expires_at=now + timedelta(days=Invitation.VALID_FOR_DAYS),
            )
    except IntegrityError as exc:
        raise Conflict(
            _("This address already has a pending invitation."), code="already_invited"
        ) from exc
    _mail_invitation(coop, email, token)


def _mail_invitation(coop: Cooperative, email: str, token: str) -> None:
    # The language lookup is the only place the address's account matters; the answer is the same.
    account = User.objects.filter(email=email, is_active=True).only("language").first()
    language = (account.language if account else "") or "vi"
    with translation.override(language):
        subject = _("You are invited to join %(name)s on HTX Market") % {"name": coop.display_name}
        body = _(
            "%(name)s invites you to work on its HTX Market account. Sign in (or sign up) with this "
            "e-mail address and open this link within 7 days to accept:\n%(link)s\n\n"
            "If you do not know this cooperative, ignore this e-mail."
        ) % {"name": coop.display_name, "link": f"{settings.SITE_URL}/invitations/{token}/"}
    mail_queue(to=[email], language=language, subject=subject, body=body)


def invitation_get_pending(*, token: str) -> Invitation:
    """The pending, unexpired invitation for `token`. Raises ValidationFailed (invalid_invitation)."""
    invitation = (
        Invitation.objects.select_related("cooperative")
        .filter(
            token_hash=token_hash(token),
            accepted_at=None,
            revoked_at=None,
            expires_at__gt=timezone.now(),
        )
        .first()
    )
    if invitation is None:
        raise ValidationFailed(
            _("This invitation is invalid, expired or was withdrawn. Ask the owner for a new one."),
            code="invalid_invitation",
        )
    return invitation


@transaction.atomic
def membership_accept(*, user: User, token: str) -> Membership:
    """Accept an invitation: the signed-in user whose e-mail is the invited address becomes a
    member with the invited role.

    Raises ValidationFailed (invalid_invitation: unknown, expired, revoked or used), PermissionDenied
    (invitation_email_mismatch), Conflict (already_member)."""
    pending = invitation_get_pending(token=token)
    coop = _lock(pending.cooperative_id)  # parent before child, like every membership change
    invitation = Invitation.objects.select_for_update().get(pk=pending.pk)
    if invitation.accepted_at or invitation.revoked_at:  # a concurrent accept or revoke won
        raise ValidationFailed(
            _("This invitation is invalid, expired or was withdrawn. Ask the owner for a new one."),
            code="invalid_invitation",
        )
    if user.email.lower() != invitation.email:
        raise PermissionDenied(
            _("This invitation was sent to another e-mail address. Sign in with that address."),
            code="invitation_email_mismatch",
        )
    if Membership.objects.filter(user=user, cooperative=coop).exists():
        raise Conflict(_("This person is already a member."), code="already_member")
    membership = Membership.objects.create(user=user, cooperative=coop, role=invitation.role)
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def invitation_revoke(*, actor: User, cooperative_id: int, invitation_id: int) -> None:
    """Withdraw a pending invitation (owner only); its link stops working.

    Raises NotFound (missing, not this cooperative's, or no longer pending), PermissionDenied."""
    coop = _lock(cooperative_id)
    _require_owner(actor, coop)
    updated = Invitation.objects.filter(
        pk=invitation_id, cooperative=coop, accepted_at=None, revoked_at=None
    ).update(revoked_at=timezone.now())
    if not updated:
        raise NotFound()
