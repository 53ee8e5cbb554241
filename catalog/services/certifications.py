"""Certifications: a cooperative claims one (with its document), an admin checks it, and
`certifications_expire` hides expired ones and tells the cooperative once."""

import datetime
import os
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from catalog.errors import CertificationAlreadyChecked, CertificationInvalid
from catalog.models import Certification, Product, ProductEvent
from catalog.services.common import check_staff, upload_check
from market.cooperatives import quota
from market.errors import NotFound, PermissionDenied
from market.models import Cooperative, Membership, User
from market.shared.document_files import DOCUMENT_MAX_BYTES as MAX_DOCUMENT_BYTES
from market.shared.document_files import content_type_for, document_type
from market.shared.mail import mail_queue
from market.shared.outbox import record_changes

# One list of accepted document types and one size cap for the whole platform (market's documents).


def _document_error(document: bytes | None) -> str | None:
    if not document:
        return _("The file is empty.")
    if len(document) > MAX_DOCUMENT_BYTES:
        return _("The file is larger than 10 MB.")
    if document_type(document) is None:
        return _("Only PDF, JPEG or PNG files are accepted.")
    return None


def _claim_errors(
    *,
    kind: str,
    ocop_stars: int | None,
    issuer: str,
    number: str,
    valid_from: datetime.date,
    valid_until: datetime.date | None,
    document: bytes,
) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    if kind not in Certification.Kind.values:
        errors["kind"] = _("Unknown certification kind.")
    if kind == Certification.Kind.OCOP and ocop_stars not in (1, 2, 3, 4, 5):
        errors["ocop_stars"] = _("OCOP needs 1 to 5 stars.")
    if kind != Certification.Kind.OCOP and ocop_stars is not None:
        errors["ocop_stars"] = _("Stars are only for OCOP.")
    if not (issuer or "").strip():
        errors["issuer"] = _("The issuer is required.")
    if not (number or "").strip():
        errors["number"] = _("The certificate number is required.")
    if valid_until and valid_until < valid_from:
        errors["valid_until"] = _("The end date is before the start date.")
    if message := _document_error(document):
        errors["document"] = message
    return errors


@transaction.atomic
def certification_claim(
    *,
    actor: User,
    cooperative_id: int,
    kind: str,
    issuer: str,
    number: str,
    valid_from: datetime.date,
    valid_until: datetime.date | None = None,
    ocop_stars: int | None = None,
    document: bytes,
    product_ids: Sequence[int] = (),
) -> Certification:
    """Record a claimed certification (shown only after an admin checks the document).
    Raises NotFound (not staff, or a product not of this cooperative), CertificationInvalid,
    CooperativeNotSubmitted, StorageQuotaExceeded."""
    check_staff(actor, cooperative_id)
    upload_check(cooperative_id)
    errors = _claim_errors(
        kind=kind,
        ocop_stars=ocop_stars,
        issuer=issuer,
        number=number,
        valid_from=valid_from,
        valid_until=valid_until,
        document=document,
    )
    products = list(Product.objects.filter(pk__in=set(product_ids), cooperative_id=cooperative_id))
    if len(products) != len(set(product_ids)):
        raise NotFound()
    if errors:
        raise CertificationInvalid(fields=errors)
    cert = Certification(
        cooperative_id=cooperative_id,
        kind=kind,
        ocop_stars=ocop_stars,
        issuer=issuer.strip(),
        number=number.strip(),
        valid_from=valid_from,
        valid_until=valid_until,
    )
    found = document_type(document)
    assert found is not None  # _claim_errors refused any other content
    _content_type, ext = found
    quota.storage_reserve(cooperative_id=cooperative_id, nbytes=len(document))
    # A random name with the extension the content proves, in private storage (never under MEDIA_URL).
    storage = storages["private"]
    cert.document = storage.save(
        f"certifications/{cooperative_id}/{timezone.now():%Y/%m}/{os.urandom(12).hex()}{ext}",
        ContentFile(document),
    )
    try:
        cert.save()
        # A certification covers the whole family of each product named (issue #13).
        cert.families.set({p.family_id for p in products})
        _touch_products(cert, actor, ProductEvent.Action.CERTIFICATION_CLAIMED)
    except Exception:
        storage.delete(cert.document.name)  # no row, no file
        raise
    return cert


def certification_document_type(cert: Certification) -> str:
    """The content type to serve a stored document with (its extension was set from its content)."""
    ext = os.path.splitext(cert.document.name or "")[1].lower()
    return content_type_for(ext)


def _touch_products(cert: Certification, actor: User | None, action: str) -> None:
    ids = list(
        Product.objects.filter(family__certifications=cert)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    ProductEvent.objects.bulk_create(
        [
            ProductEvent(
                product_id=i, actor=actor, action=action, changes={"certification_id": cert.pk}
            )
            for i in ids
        ]
    )
    record_changes(entity="product", ids=ids)  # certifications are search facets


@transaction.atomic
def certification_check(
    *, actor: User, certification_id: int, verified: bool, reason: str = ""
) -> Certification:
    """Admin decision on a claimed certification. Raises PermissionDenied (not a platform admin),
    NotFound, CertificationAlreadyChecked."""
    if not getattr(actor, "is_platform_admin", False):
        raise PermissionDenied()
    cert = Certification.objects.select_for_update().filter(pk=certification_id).first()
    if cert is None:
        raise NotFound()
    if cert.status != Certification.Status.CLAIMED:
        raise CertificationAlreadyChecked()
    cert.status = Certification.Status.VERIFIED if verified else Certification.Status.REJECTED
    cert.checked_by, cert.checked_at = actor, timezone.now()
    cert.save(update_fields=["status", "checked_by", "checked_at", "updated_at"])
    _touch_products(
        cert,
        actor,
        ProductEvent.Action.CERTIFICATION_VERIFIED
        if verified
        else ProductEvent.Action.CERTIFICATION_REJECTED,
    )
    return cert


def _recipients(cooperative: Cooperative) -> list[str]:
    emails = [cooperative.email] if cooperative.email else []
    emails += list(
        Membership.objects.filter(
            cooperative=cooperative, role__in=["OWNER", "MANAGER"]
        ).values_list("user__email", flat=True)
    )
    return sorted(set(emails))


@transaction.atomic
def certifications_expire(*, today: datetime.date) -> int:
    """Mark verified certifications past `valid_until` as notified (they already stop showing via
    `is_shown`), reindex their products and e-mail each cooperative once per certification.
    Safe to re-run: `expiry_notified_at` makes each one count once. Returns how many expired."""
    expired = list(
        Certification.objects.select_for_update()
        .filter(
            status=Certification.Status.VERIFIED,
            valid_until__lt=today,
            expiry_notified_at__isnull=True,
        )
        .select_related("cooperative")
    )
    now = timezone.now()
    for cert in expired:
        cert.expiry_notified_at = now
        cert.save(update_fields=["expiry_notified_at", "updated_at"])
        _touch_products(cert, None, ProductEvent.Action.CERTIFICATION_EXPIRED)
        to = _recipients(cert.cooperative)
        with translation.override(settings.LANGUAGE_CODE):  # cooperatives: Vietnamese
            subject = _("Certification %(kind)s no. %(number)s has expired") % {
                "kind": cert.get_kind_display(),
                "number": cert.number,
            }
            body = _(
                "It expired on %(date)s and is no longer shown to buyers. Upload the renewed certificate to show "
                "it again."
            ) % {"date": cert.valid_until.strftime("%d/%m/%Y") if cert.valid_until else ""}
        if to:  # queued after commit: a rolled-back run e-mails nobody
            mail_queue(to=to, language=settings.LANGUAGE_CODE, subject=subject, body=body)
    return len(expired)
