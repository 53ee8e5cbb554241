"""Reads, scoped to who is asking. "Missing" and "not yours" give the same NotFound."""

from collections.abc import Collection
from typing import Any, TypeGuard

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from market.errors import NotFound, PermissionDenied
from market.models import (
    Cooperative,
    CooperativeDocument,
    Invitation,
    Membership,
    PayeeChange,
    Province,
    User,
    VerificationEvent,
    Ward,
)
from market.textsort import vietnamese_sort_key

Status = Cooperative.Status


MAX_ID = 2**63 - 1  # the largest primary key a database holds; bigger ids exist nowhere


# Who may be asking: a signed-in user, the anonymous user of a public view, or nobody (a task).
Viewer = User | AnonymousUser | None


def _authenticated(user: Viewer) -> TypeGuard[User]:
    return user is not None and user.is_authenticated


def as_id(key: object) -> int | None:
    """`key` as a primary key when it is plain ASCII digits in range, else None. str.isdigit()
    alone also accepts "²" and "١", which int() refuses or which no row can have."""
    text = str(key)
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
        return None
    return int(text)


def is_cooperative_staff(
    *, user: Viewer, cooperative_id: int, roles: Collection[str] | None = None
) -> bool:
    """Is `user` staff of the cooperative (with one of `roles`, when given)? The one answer to
    that question for every app: anonymous and inactive users never are; platform admins are
    not staff unless they are members (callers that let admins in say so themselves)."""
    if not (_authenticated(user) and user is not None and user.is_active):
        return False
    members = Membership.objects.filter(user=user, cooperative_id=cooperative_id)
    if roles is not None:
        members = members.filter(role__in=roles)
    return members.exists()


def membership_get(*, user: User | None, cooperative_id: int) -> Membership | None:
    """The user's membership of the cooperative (for its role); None for anyone else."""
    if not (_authenticated(user) and user is not None and user.is_active):
        return None
    return Membership.objects.filter(user=user, cooperative_id=cooperative_id).first()


def cooperative_list_public(*, filters: dict[str, Any] | None = None) -> QuerySet[Cooperative]:
    """The public directory: VERIFIED cooperatives only, filtered by province code, kind,
    sector, is_agricultural and `q` (part of the legal or trading name)."""
    filters = filters or {}
    qs = Cooperative.objects.filter(status=Status.VERIFIED).select_related("province", "ward")
    if filters.get("province") is not None:
        qs = qs.filter(province_id=filters["province"])
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("sector"):
        qs = qs.filter(sector=filters["sector"])
    if filters.get("is_agricultural") is not None:
        qs = qs.filter(is_agricultural=filters["is_agricultural"])
    if filters.get("q"):
        q = filters["q"].strip()
        qs = qs.filter(
            Q(legal_name__icontains=q) | Q(trading_name__icontains=q) | Q(slug__icontains=q)
        )
    return qs.order_by("legal_name", "id")


def cooperative_get_public(*, key: str | int) -> Cooperative:
    """A verified cooperative by id or slug."""
    qs = Cooperative.objects.filter(status=Status.VERIFIED).select_related("province", "ward")
    if "\x00" in str(key):  # no slug holds NUL, and PostgreSQL refuses it as a parameter
        raise NotFound()
    pk = as_id(key)
    coop = qs.filter(**({"pk": pk} if pk is not None else {"slug": key})).first()
    if coop is None:
        raise NotFound()
    return coop


def cooperative_list_for_user(*, user: User) -> QuerySet[Cooperative]:
    """The cooperatives the user belongs to, in any status."""
    if not _authenticated(user):
        return Cooperative.objects.none()
    return (
        Cooperative.objects.filter(memberships__user=user)
        .select_related("province", "ward")
        .order_by("id")
    )


def cooperative_get_for_staff(*, user: Viewer, cooperative_id: int) -> Cooperative:
    """A cooperative the user works for, or any cooperative for a platform admin; NotFound otherwise."""
    if not _authenticated(user):
        raise NotFound()
    qs = Cooperative.objects.select_related("province", "ward")
    if not user.is_platform_admin:
        qs = qs.filter(memberships__user=user)
    coop = qs.filter(pk=cooperative_id).first()
    if coop is None:
        raise NotFound()
    return coop


def invitation_list_for_owner(*, user: User, cooperative_id: int) -> QuerySet[Invitation]:
    """Pending, unexpired invitations of a cooperative, for its owners only. Strangers get
    NotFound; other members and admins PermissionDenied (the same answers as the write side)."""
    coop = cooperative_get_for_staff(user=user, cooperative_id=cooperative_id)
    if not is_cooperative_staff(user=user, cooperative_id=coop.pk, roles=[Membership.Role.OWNER]):
        raise PermissionDenied(_("Only the cooperative's owner can do this."))
    return coop.invitations.filter(
        accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    ).order_by("id")


def cooperative_get_for_viewer(*, user: Viewer, key: str | int) -> Cooperative:
    """Detail page data: a verified cooperative for everyone, any status for its staff and admins."""
    try:
        return cooperative_get_public(key=key)
    except NotFound:
        cooperative_id = as_id(key)
        if not (_authenticated(user) and cooperative_id is not None):
            raise
        return cooperative_get_for_staff(user=user, cooperative_id=cooperative_id)


def document_list_for_user(*, user: Viewer, cooperative_id: int) -> QuerySet[CooperativeDocument]:
    coop = cooperative_get_for_staff(user=user, cooperative_id=cooperative_id)
    return coop.documents.order_by("created_at", "id")


def document_get_for_user(
    *, user: Viewer, cooperative_id: int, document_id: int
) -> CooperativeDocument:
    """A document the user may download: staff of its cooperative or a platform admin."""
    doc = (
        document_list_for_user(user=user, cooperative_id=cooperative_id)
        .filter(pk=document_id)
        .first()
    )
    if doc is None:
        raise NotFound()
    return doc


def verification_event_list_for_user(
    *, user: User, cooperative_id: int
) -> QuerySet[VerificationEvent]:
    coop = cooperative_get_for_staff(user=user, cooperative_id=cooperative_id)
    return coop.verification_events.select_related("actor").order_by("created_at", "id")


def payee_change_list_for_user(*, user: User, cooperative_id: int) -> QuerySet[PayeeChange]:
    """The cooperative's bank account changes, newest first (its staff and platform admins)."""
    coop = cooperative_get_for_staff(user=user, cooperative_id=cooperative_id)
    return PayeeChange.objects.filter(cooperative=coop).order_by("-created_at", "-id")


def payee_change_list_pending_for_admin() -> QuerySet[PayeeChange]:
    """Pending bank account changes, oldest first. Callers check the admin role."""
    return (
        PayeeChange.objects.filter(status=PayeeChange.Status.PENDING)
        .select_related("cooperative")
        .order_by("created_at", "id")
    )


def verification_queue_for_admin() -> QuerySet[Cooperative]:
    """Cooperatives waiting for an admin, oldest submission first. Callers check the admin role."""
    return (
        Cooperative.objects.filter(status=Status.SUBMITTED)
        .select_related("province", "ward")
        .prefetch_related("documents")
        .order_by("submitted_at", "id")
    )


def province_list() -> QuerySet[Province]:
    return Province.objects.order_by("code")


def province_list_for_picker() -> list[Province]:
    """The provinces as people look for them: Vietnamese alphabetical order of the name without
    its "Thành phố"/"Tỉnh" prefix (Đ after D, Ơ after Ô…), tones only breaking ties."""
    return sorted(province_list(), key=lambda p: vietnamese_sort_key(p.name))


def ward_list_for_province(*, province_code: int) -> QuerySet[Ward]:
    if not Province.objects.filter(code=province_code).exists():
        raise NotFound()
    return Ward.objects.filter(province_id=province_code).order_by("name", "code")
