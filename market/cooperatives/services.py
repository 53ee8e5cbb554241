"""Writes for cooperatives, memberships, documents and seller verification.

Each public service is one transaction. Verification moves lock the cooperative row, check
`Cooperative.ALLOWED_TRANSITIONS`, save, write a `VerificationEvent` and an outbox row (the move
changes what buyers can find) in that transaction, and e-mail the cooperative after commit.
Accounts (sign-up, login, password reset) live in `market.accounts.services`; invitations in
`market.invitations.services`.
"""

import logging
import os
from typing import Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise as StrPromise
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from market.cooperatives import quota
from market.cooperatives.payee import PAYEE_FIELDS, payee_change_request
from market.cooperatives.selectors import membership_get
from market.errors import (
    Conflict,
    InvalidTransition,
    MissingDocuments,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from market.models import Cooperative, CooperativeDocument, Membership, User, VerificationEvent
from market.reference import validators
from market.reference.admin_units import fold
from market.shared.document_files import DOCUMENT_MAX_BYTES, document_type, signature_type
from market.shared.imaging import encode_png_or_jpeg, rebuild_from_pixels
from market.shared.mail import mail_queue
from market.shared.outbox import record_changes

log = logging.getLogger("htx.market")
Status = Cooperative.Status

# Fields a cooperative may change about itself. Status fields only move through the services below.
PROFILE_FIELDS = (
    "kind",
    "legal_name",
    "trading_name",
    "registration_number",
    "tax_code",
    "province",
    "ward",
    "address",
    "phone",
    "email",
    "representative",
    "description_vi",
    "description_en",
    "sector",
    "is_agricultural",
    "member_count",
    "year_founded",
)
# The payee (PAYEE_FIELDS: bank BIN, account, holder) only changes through market.cooperatives.payee: owners
# only, approved by an admin once the cooperative was submitted.
# The legal identity an admin checked: frozen once submitted, so a verified badge cannot be
# moved to another legal entity by editing.
IDENTITY_FIELDS = ("kind", "legal_name", "registration_number", "tax_code")
SINGLE_LINE_FIELDS = ("legal_name", "trading_name", "representative", "address")


# --- profile ---------------------------------------------------------------------------------


def _clean_profile(data: dict[str, Any], *, instance: Cooperative | None = None) -> dict[str, Any]:
    """Validate and normalise profile fields. Collects every field error into one ValidationFailed."""
    unknown = set(data) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationFailed(
            fields={f: [_("This field cannot be set.")] for f in sorted(unknown)}
        )
    cleaned, errors = dict(data), {}
    checks = {
        "tax_code": validators.tax_code,
        "phone": validators.phone,
        "year_founded": validators.year_founded,
        "province": validators.province,
    }
    for name, check in checks.items():
        if name in cleaned and cleaned[name] not in ("", None):
            try:
                cleaned[name] = check(cleaned[name])
            except validators.InvalidField as exc:
                errors.update(exc.fields)
    province = cleaned.get("province") or (instance.province if instance else None)
    if (
        "ward" in cleaned
        and cleaned["ward"] not in ("", None)
        and "province" not in errors
        and province
    ):
        try:
            cleaned["ward"] = validators.ward(cleaned["ward"], province=province)
        except validators.InvalidField as exc:
            errors.update(exc.fields)
    elif (
        "province" in cleaned
        and "province" not in errors  # a bad province stays the raw text: nothing to compare
        and instance
        and instance.ward_id
        and "ward" not in cleaned
    ):
        if province and instance.ward and instance.ward.province_id != province.code:
            cleaned["ward"] = None  # the old ward belongs to the old province
    for name in SINGLE_LINE_FIELDS:  # names go into e-mail headers, PDFs and CSVs
        if name in cleaned and name not in errors:
            try:
                cleaned[name] = validators.single_line(
                    cleaned[name] or "", field=name, required=name == "legal_name"
                )
            except validators.InvalidField as exc:
                errors.update(exc.fields)
    for name in ("legal_name", "registration_number", "tax_code", "province"):
        if name in cleaned and cleaned[name] in ("", None) and name not in errors:
            errors[name] = [_("This field is required.")]
    if "sector" in cleaned and "is_agricultural" not in data:
        cleaned["is_agricultural"] = cleaned["sector"] in Cooperative.AGRICULTURAL_SECTORS
    if errors:
        raise ValidationFailed(fields=errors)
    _check_unique(cleaned, instance)
    return cleaned


def _check_unique(cleaned: dict[str, Any], instance: Cooperative | None) -> None:
    others = Cooperative.objects.exclude(pk=instance.pk) if instance else Cooperative.objects.all()
    for name, message in (
        (
            "registration_number",
            gettext_lazy("A cooperative with this registration number already exists."),
        ),
        ("tax_code", gettext_lazy("A cooperative with this tax code already exists.")),
    ):
        if name in cleaned and others.filter(**{name: cleaned[name]}).exists():
            raise Conflict(message, fields={name: [str(message)]}, code=f"duplicate_{name}")


def _unique_slug(name: str) -> str:
    base = slugify(fold(name))[:200] or "htx"
    slug, n = base, 1
    while Cooperative.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _require_manager(actor: User, cooperative: Cooperative) -> Membership:
    """Owners and managers may change the cooperative. Non-members get 404 (they must not learn
    that an unpublished cooperative exists); admins and plain staff, who can see it, get 403."""
    membership = membership_get(user=actor, cooperative_id=cooperative.pk)
    if membership and membership.can_manage:
        return membership
    if membership or (actor and actor.is_authenticated and actor.is_platform_admin):
        raise PermissionDenied(_("Only the cooperative's owner or managers can do this."))
    raise NotFound()


def _require_owner(actor: User, cooperative: Cooperative) -> Membership:
    membership = _require_manager(actor, cooperative)
    if membership.role != Membership.Role.OWNER:
        raise PermissionDenied(_("Only the cooperative's owner can do this."))
    return membership


def _save(coop: Cooperative, fields: list[str] | None = None) -> None:
    try:
        with transaction.atomic():  # a savepoint: a unique race becomes a clean 409, not a 500
            coop.save(update_fields=fields)
    except IntegrityError as exc:
        raise Conflict(
            _("A cooperative with this registration number or tax code already exists."),
            code="duplicate_cooperative",
        ) from exc


@transaction.atomic
def cooperative_create(*, actor: User, data: dict[str, Any]) -> Cooperative:
    """Create a DRAFT cooperative with `actor` as its OWNER.

    Raises ValidationFailed/InvalidField (bad or missing fields) and Conflict (duplicate
    registration number or tax code)."""
    for name in ("legal_name", "registration_number", "tax_code", "province"):
        data.setdefault(name, "")
    payee = {name: data.pop(name) for name in PAYEE_FIELDS if name in data}
    cleaned = _clean_profile(data)
    cleaned.setdefault(
        "is_agricultural",
        cleaned.get("sector", Cooperative.Sector.CROPS) in Cooperative.AGRICULTURAL_SECTORS,
    )
    coop = Cooperative(
        **cleaned,
        status=Status.DRAFT,
        slug=_unique_slug(cleaned.get("trading_name") or cleaned["legal_name"]),
    )
    _save(coop)
    Membership.objects.create(user=actor, cooperative=coop, role=Membership.Role.OWNER)
    if payee:
        payee_change_request(actor=actor, cooperative=coop, data=payee)
    return coop


@transaction.atomic
def cooperative_update(*, actor: User, cooperative_id: int, data: dict[str, Any]) -> Cooperative:
    """Change profile fields (owner/manager only). Identity fields are frozen once the cooperative
    has been submitted. Bank fields are a payee change (`market.cooperatives.payee`: owners only, pending an
    admin's approval once submitted). A verified cooperative's change is recorded for the search
    index.

    Raises NotFound, PermissionDenied, ValidationFailed, Conflict."""
    coop = _lock(cooperative_id)
    _require_manager(actor, coop)
    payee = {name: data.pop(name) for name in PAYEE_FIELDS if name in data}
    cleaned = _clean_profile(data, instance=coop)
    frozen = [f for f in IDENTITY_FIELDS if f in cleaned and cleaned[f] != getattr(coop, f)]
    if frozen and coop.status != Status.DRAFT and coop.status != Status.REJECTED:
        message = _("The legal identity cannot change after submission; contact the platform team.")
        raise Conflict(message, fields={f: [message] for f in frozen}, code="identity_locked")
    for name, value in cleaned.items():
        setattr(coop, name, value)
    _save(coop)
    if payee:
        payee_change_request(actor=actor, cooperative=coop, data=payee)
    if coop.status == Status.VERIFIED:
        record_changes(entity="cooperative", ids=[coop.pk])
    return coop


# --- members ---------------------------------------------------------------------------------


@transaction.atomic
def membership_remove(*, actor: User, cooperative_id: int, user_id: int) -> None:
    """Remove a member (owner only). The last owner cannot be removed.

    Raises NotFound, PermissionDenied, Conflict."""
    coop = _lock(cooperative_id)
    _require_owner(actor, coop)
    membership = Membership.objects.filter(cooperative=coop, user_id=user_id).first()
    if membership is None:
        raise NotFound()
    owners = coop.memberships.filter(role=Membership.Role.OWNER).count()
    if membership.role == Membership.Role.OWNER and owners <= 1:
        raise Conflict(_("A cooperative needs at least one owner."), code="last_owner")
    membership.delete()


# --- documents -------------------------------------------------------------------------------


def _sniff(upload: "File[bytes]", *, decode: bool = True) -> tuple[str, str]:
    """Content type from the content, never from the name or the client's header. With
    `decode=False` only the leading bytes count (the caller decodes the image itself)."""
    upload.seek(0)
    found = document_type(upload.read()) if decode else signature_type(upload.read(16))
    upload.seek(0)
    if found is not None:
        return found
    message = _("Only PDF, JPEG or PNG files are accepted.")
    raise ValidationFailed(message, fields={"file": [message]}, code="unsupported_file_type")


@transaction.atomic
def cooperative_document_add(
    *, actor: User, cooperative_id: int, kind: str, file: "File[bytes]", title: str = ""
) -> CooperativeDocument:
    """Store a PDF/JPEG/PNG (≤ 10 MB, checked by content) in private storage (owner/manager only).

    Raises NotFound, PermissionDenied, ValidationFailed (type, size, kind)."""
    coop = _lock(cooperative_id)
    _require_manager(actor, coop)
    if kind not in CooperativeDocument.Kind.values:
        raise ValidationFailed(
            fields={"kind": [_("Unknown document kind.")]}, code="invalid_document_kind"
        )
    if file is None or not file.size:
        raise ValidationFailed(fields={"file": [_("The file is empty.")]}, code="empty_file")
    if file.size > DOCUMENT_MAX_BYTES:
        message = _("The file is larger than 10 MB.")
        raise ValidationFailed(message, fields={"file": [message]}, code="file_too_large")
    content_type, ext = _sniff(file)
    quota.storage_reserve(cooperative_id=coop.pk, nbytes=file.size)  # rolls back with us
    original = os.path.basename(getattr(file, "name", "") or "document")[:255]
    # A random name with the extension the content proves, so nothing is guessable or misleading.
    path = f"coop-docs/{coop.pk}/{timezone.now():%Y/%m}/{os.urandom(12).hex()}{ext}"
    storage = storages["private"]
    name = storage.save(path, file)
    try:
        return CooperativeDocument.objects.create(
            cooperative=coop,
            kind=kind,
            title=(title or "")[:200],
            file=name,
            original_name=original,
            content_type=content_type,
            size=file.size,
            uploaded_by=actor,
        )
    except Exception:
        storage.delete(name)  # no row, no file: an orphan in private storage is never served
        raise


LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_MAX_PIXELS = 4096 * 4096  # the same cap as product images
LOGO_SIZE = 512  # longest side stored: a logo is shown at most 256 px wide (2x for sharp screens)


def _logo_invalid(message: "str | StrPromise", code: str) -> ValidationFailed:
    return ValidationFailed(message, fields={"file": [str(message)]}, code=code)


def _logo_from_pixels(upload: "File[bytes]") -> tuple[bytes, str]:
    """A real JPEG/PNG within size and pixel limits, rebuilt from its pixels (no EXIF/GPS, no
    trailing bytes) at most LOGO_SIZE px: (bytes, extension)."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    content_type, _ext = _sniff(upload, decode=False)  # decoded below, with a specific error
    if content_type == "application/pdf":
        raise _logo_invalid(_("The logo must be a JPEG or PNG image."), "unsupported_file_type")
    if upload.size > LOGO_MAX_BYTES:
        raise _logo_invalid(_("The logo is larger than 2 MB."), "file_too_large")
    too_big = _logo_invalid(_("The logo may have at most 4096 × 4096 pixels."), "image_too_large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as probe:
                if probe.width * probe.height > LOGO_MAX_PIXELS:
                    raise too_big  # from the header: nothing decoded yet
                probe.verify()
            upload.seek(0)
            with Image.open(upload) as image:
                if image.format == "JPEG":
                    image.draft(None, (LOGO_SIZE, LOGO_SIZE))  # decode at a fraction of the cost
                image.load()
                clean = rebuild_from_pixels(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_big from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _logo_invalid(_("The image file is damaged."), "invalid_image") from None
    clean.thumbnail((LOGO_SIZE, LOGO_SIZE), Image.Resampling.LANCZOS)
    return encode_png_or_jpeg(clean)


@transaction.atomic
def cooperative_logo_set(
    *, actor: User, cooperative_id: int, file: "File[bytes] | None"
) -> Cooperative:
    """Replace the cooperative's public logo (owner/manager; submitted or verified cooperatives):
    JPEG/PNG checked by content, ≤ 2 MB, ≤ 4096 × 4096 px, stored rebuilt from its pixels.

    Raises NotFound, PermissionDenied, CooperativeNotSubmitted, StorageQuotaExceeded,
    ValidationFailed."""
    coop = _lock(cooperative_id)
    _require_manager(actor, coop)
    quota.upload_allowed_check(coop)
    if file is None or not file.size:
        raise ValidationFailed(fields={"file": [_("The file is empty.")]}, code="empty_file")
    data, ext = _logo_from_pixels(file)
    old = coop.logo.name if coop.logo else ""
    old_size = _stored_size(coop.logo.storage, old)
    quota.storage_reserve(cooperative_id=coop.pk, nbytes=len(data) - old_size)
    coop.logo.save(f"{coop.slug}-{os.urandom(4).hex()}{ext}", ContentFile(data), save=False)
    coop.save(update_fields=["logo", "updated_at"])
    if old:
        transaction.on_commit(lambda: coop.logo.storage.delete(old))
    if coop.status == Status.VERIFIED:
        record_changes(entity="cooperative", ids=[coop.pk])
    return coop


def _stored_size(storage: Storage, name: str | None) -> int:
    try:
        return storage.size(name) if name else 0
    except OSError:
        return 0


# --- verification ----------------------------------------------------------------------------


def _lock(cooperative_id: int) -> Cooperative:
    coop = Cooperative.objects.select_for_update().filter(pk=cooperative_id).first()
    if coop is None:
        raise NotFound()
    return coop


def _move(coop: Cooperative, *, actor: User, to: str, reason: str = "") -> Cooperative:
    """The one place a verification status changes: check, save, audit, outbox, notify."""
    if not coop.can_move_to(to):
        raise InvalidTransition(
            _("A cooperative cannot go from %(from)s to %(to)s.")
            % {"from": coop.get_status_display(), "to": Status(to).label}
        )
    from_status, now = coop.status, timezone.now()
    coop.status, coop.status_reason = to, reason
    if to == Status.SUBMITTED:
        coop.submitted_at = now
    if to == Status.VERIFIED and from_status == Status.SUBMITTED:
        coop.verified_at = now
    coop.save(
        update_fields=["status", "status_reason", "submitted_at", "verified_at", "updated_at"]
    )
    VerificationEvent.objects.create(
        cooperative=coop, actor=actor, from_status=from_status, to_status=to, reason=reason
    )
    record_changes(entity="cooperative", ids=[coop.pk])
    notify_status_change(cooperative_id=coop.pk, status=to, reason=reason)
    return coop


def _require_admin(actor: User) -> None:
    if not (actor and actor.is_authenticated and actor.is_platform_admin):
        raise PermissionDenied(_("Only platform administrators can verify cooperatives."))


def _required_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        message = _("Give a reason: the cooperative will see it.")
        raise ValidationFailed(message, fields={"reason": [message]}, code="reason_required")
    return reason


@transaction.atomic
def cooperative_submit(*, actor: User, cooperative_id: int) -> Cooperative:
    """DRAFT/REJECTED → SUBMITTED (owner/manager), once a business registration document is uploaded.

    Raises NotFound, PermissionDenied, MissingDocuments, InvalidTransition."""
    coop = _lock(cooperative_id)
    _require_manager(actor, coop)
    if not coop.documents.filter(kind=CooperativeDocument.Kind.BUSINESS_REGISTRATION).exists():
        raise MissingDocuments()
    return _move(coop, actor=actor, to=Status.SUBMITTED)


@transaction.atomic
def cooperative_verify(*, actor: User, cooperative_id: int) -> Cooperative:
    """SUBMITTED → VERIFIED (platform admins). Raises PermissionDenied, NotFound, InvalidTransition."""
    _require_admin(actor)
    return _move(_lock(cooperative_id), actor=actor, to=Status.VERIFIED)


@transaction.atomic
def cooperative_reject(*, actor: User, cooperative_id: int, reason: str) -> Cooperative:
    """SUBMITTED → REJECTED with a reason the cooperative sees (platform admins).

    Raises PermissionDenied, ValidationFailed (no reason), NotFound, InvalidTransition."""
    _require_admin(actor)
    reason = _required_reason(reason)
    return _move(_lock(cooperative_id), actor=actor, to=Status.REJECTED, reason=reason)


@transaction.atomic
def cooperative_suspend(*, actor: User, cooperative_id: int, reason: str) -> Cooperative:
    """VERIFIED → SUSPENDED with a reason (platform admins): its products leave the search.

    Raises PermissionDenied, ValidationFailed (no reason), NotFound, InvalidTransition."""
    _require_admin(actor)
    reason = _required_reason(reason)
    return _move(_lock(cooperative_id), actor=actor, to=Status.SUSPENDED, reason=reason)


@transaction.atomic
def cooperative_reinstate(*, actor: User, cooperative_id: int, reason: str = "") -> Cooperative:
    """SUSPENDED → VERIFIED (platform admins). Raises PermissionDenied, NotFound, InvalidTransition."""
    _require_admin(actor)
    return _move(
        _lock(cooperative_id), actor=actor, to=Status.VERIFIED, reason=(reason or "").strip()
    )


_STATUS_MAIL: dict[str, StrPromise] = {
    Status.SUBMITTED: gettext_lazy(
        "%(name)s was submitted for verification. We will review the documents soon."
    ),
    Status.VERIFIED: gettext_lazy(
        "%(name)s is verified: its products can now be published and ordered."
    ),
    Status.REJECTED: gettext_lazy(
        "%(name)s was not verified. Reason: %(reason)s. Correct it and submit again."
    ),
    Status.SUSPENDED: gettext_lazy(
        "%(name)s is suspended. Reason: %(reason)s. Its products are hidden."
    ),
}


def notify_status_change(*, cooperative_id: int, status: str, reason: str = "") -> int:
    """E-mail the cooperative's owners about a verification move, each in their own language.
    The mails leave after commit (market.shared.mail); a mail failure never undoes the move. Returns
    how many mails were queued."""
    coop = Cooperative.objects.filter(pk=cooperative_id).first()
    if coop is None:
        return 0
    owners = User.objects.filter(
        memberships__cooperative=coop, memberships__role=Membership.Role.OWNER, is_active=True
    )
    sent = 0
    for owner in owners:
        language = owner.language or "vi"
        with translation.override(language):
            subject = _("HTX Market: verification status of %(name)s") % {"name": coop.display_name}
            body = str(_STATUS_MAIL[status]) % {"name": coop.display_name, "reason": reason}
        mail_queue(to=[owner.email], language=language, subject=subject, body=body)
        sent += 1
    return sent
