"""Reads scoped to the actor. A buyer sees their own RFQs and every quote on them; a
cooperative's staff see the RFQs addressed to their cooperative and the open ones that match it,
and only their own quotes (never a competitor's price); admins see all. "Missing" and "not
yours" give the same NotFound."""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from catalog.models import Category, Certification, Product
from market.models import Cooperative, Membership, User
from quotes.errors import NotFound
from quotes.models import Quote, Rfq, RfqMessage


def staff_cooperative_ids(user: User) -> list[int]:
    if user is None or not user.is_authenticated:
        return []
    return list(Membership.objects.filter(user=user).values_list("cooperative_id", flat=True))


def _ancestors(category_ids: set[int]) -> set[int]:
    parents = dict(Category.objects.values_list("pk", "parent_id"))
    out = set()
    for start in category_ids:
        cid: int | None = start
        while cid is not None and cid not in out:
            out.add(cid)
            cid = parents.get(cid)
    return out


def cooperative_profile(cooperative_id: int) -> tuple[set[int], set[str]]:
    """What an open RFQ is matched on: the categories the cooperative sells in (with their
    ancestors) and its verified, unexpired certification kinds."""
    cats = set(
        Product.objects.filter(
            cooperative_id=cooperative_id, status=Product.Status.ACTIVE, category__isnull=False
        ).values_list("category_id", flat=True)
    )
    today = timezone.localdate()
    certs = set(
        Certification.objects.filter(
            cooperative_id=cooperative_id, status=Certification.Status.VERIFIED
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .values_list("kind", flat=True)
    )
    return _ancestors(cats), certs


def _open_matching_ids(cooperative_ids: list[int]) -> set[int]:
    if not cooperative_ids:
        return set()
    verified = list(
        Cooperative.objects.filter(
            pk__in=cooperative_ids, status=Cooperative.Status.VERIFIED
        ).values_list("pk", flat=True)
    )
    ids: set[int] = set()
    candidates = list(
        Rfq.objects.filter(
            status=Rfq.Status.OPEN, cooperative__isnull=True, closes_at__gt=timezone.now()
        ).values_list("pk", "category_id", "certifications")
    )
    for coop_id in verified:
        cats, certs = cooperative_profile(coop_id)
        ids |= {pk for pk, cat, wanted in candidates if cat in cats and set(wanted) <= certs}
    return ids


def cooperatives_matching(*, rfq: Rfq) -> list[Cooperative]:
    """Verified cooperatives an open RFQ is shown to (its categories and certifications match)."""
    under = set(Category.subtree_ids([rfq.category_id]))
    coop_ids = set(
        Product.objects.filter(
            category_id__in=under,
            status=Product.Status.ACTIVE,
            cooperative__status=Cooperative.Status.VERIFIED,
        ).values_list("cooperative_id", flat=True)
    )
    out = []
    for coop in Cooperative.objects.filter(pk__in=coop_ids).order_by("pk"):
        if set(rfq.certifications) <= cooperative_profile(coop.pk)[1]:
            out.append(coop)
    return out


def _base() -> QuerySet[Rfq]:
    # Meta.ordering is dropped by an aggregate (GROUP BY) query: order explicitly.
    return (
        Rfq.objects.select_related("buyer", "cooperative", "family", "product", "category")
        .annotate(quote_count=Count("quotes", filter=~Q(quotes__status=Quote.Status.WITHDRAWN)))
        .order_by("-created_at", "-id")
    )


def rfq_list_for_buyer(*, user: User) -> QuerySet[Rfq]:
    return _base().filter(buyer=user)


def rfq_list_for_cooperative_staff(
    *, user: User, cooperative_id: int | None = None
) -> QuerySet[Rfq]:
    coop_ids = staff_cooperative_ids(user)
    if cooperative_id is not None:
        coop_ids = [c for c in coop_ids if c == cooperative_id]
    quoted = Quote.objects.filter(cooperative_id__in=coop_ids).values("rfq_id")
    return _base().filter(
        Q(cooperative_id__in=coop_ids) | Q(pk__in=_open_matching_ids(coop_ids)) | Q(pk__in=quoted)
    )


def rfq_list_for_admin(*, user: User) -> QuerySet[Rfq]:
    return _base() if user.is_platform_admin else Rfq.objects.none()


def rfq_list_for_actor(*, user: User, status: str | None = None) -> QuerySet[Rfq]:
    """Everything the actor may see: all for admins; own RFQs plus the cooperative view."""
    if user.is_platform_admin:
        qs = rfq_list_for_admin(user=user)
    else:
        coop_ids = staff_cooperative_ids(user)
        visible = Q(buyer=user)
        if coop_ids:
            visible |= Q(pk__in=rfq_list_for_cooperative_staff(user=user).values("pk").order_by())
        qs = _base().filter(visible)
    return qs.filter(status=status) if status else qs


@dataclass
class RfqAccess:
    rfq: Rfq
    roles: set[str]
    cooperative_ids: list[int] = field(default_factory=list)  # the actor's cooperatives here

    @property
    def is_buyer_side(self) -> bool:
        return bool(self.roles & {"buyer", "admin"})


def rfq_get_for_actor(*, user: User, rfq_id: int) -> RfqAccess:
    """The RFQ with the actor's roles on it (buyer, coop, admin), or NotFound."""
    if user is None or not user.is_authenticated:
        raise NotFound()
    rfq = _base().filter(pk=rfq_id).first()
    if rfq is None:
        raise NotFound()
    roles, coop_ids = set(), []
    if rfq.buyer_id == user.pk:
        roles.add("buyer")
    if user.is_platform_admin:
        roles.add("admin")
    mine = staff_cooperative_ids(user)
    if mine:
        if rfq.cooperative_id is not None:
            coop_ids = [c for c in mine if c == rfq.cooperative_id]
        else:
            quoted = set(
                Quote.objects.filter(rfq=rfq, cooperative_id__in=mine).values_list(
                    "cooperative_id", flat=True
                )
            )
            coop_ids = [c for c in mine if c in quoted or rfq.pk in _open_matching_ids([c])]
        if coop_ids:
            roles.add("coop")
    if not roles:
        raise NotFound()
    return RfqAccess(rfq=rfq, roles=roles, cooperative_ids=coop_ids)


def quote_list_for_actor(*, access: RfqAccess) -> QuerySet[Quote]:
    qs = (
        Quote.objects.filter(rfq=access.rfq)
        .select_related("cooperative", "product", "order")
        .prefetch_related("revisions")
        .order_by("pk")
    )
    if access.is_buyer_side:
        return qs.exclude(status=Quote.Status.WITHDRAWN) if "admin" not in access.roles else qs
    return qs.filter(cooperative_id__in=access.cooperative_ids)  # never a competitor's price


def quote_get_for_actor(*, user: User, quote_id: int) -> tuple[Quote, RfqAccess]:
    rfq_id = Quote.objects.filter(pk=quote_id).values_list("rfq_id", flat=True).first()
    if rfq_id is None:
        raise NotFound()
    access = rfq_get_for_actor(user=user, rfq_id=rfq_id)
    quote = quote_list_for_actor(access=access).filter(pk=quote_id).first()
    if quote is None:
        raise NotFound()
    return quote, access


def message_list_for_actor(*, access: RfqAccess, cooperative_id: int) -> QuerySet[RfqMessage]:
    if not access.is_buyer_side and cooperative_id not in access.cooperative_ids:
        raise NotFound()
    return RfqMessage.objects.filter(rfq=access.rfq, cooperative_id=cooperative_id).select_related(
        "author"
    )


def demand_summary_for_cooperative(*, cooperative_id: int, months: int = 6) -> list[dict[str, Any]]:
    """What buyers asked for in the cooperative's categories, per month: product (or category),
    destination, number of RFQs and total quantity per unit."""
    cats, _certs = cooperative_profile(cooperative_id)
    since = timezone.now() - timedelta(days=31 * months)
    rows = (
        Rfq.objects.filter(category_id__in=cats, created_at__gte=since)
        .annotate(month=TruncMonth("created_at"))
        .values("month", "category__name_en", "family__name_en", "destination_country", "unit")
        .annotate(rfqs=Count("pk"), quantity=Sum("quantity"))
        .order_by("-month", "category__name_en", "destination_country")
    )
    return [
        {
            "month": r["month"].date().isoformat()[:7] if r["month"] else "",
            "product": r["family__name_en"] or r["category__name_en"],
            "destination_country": r["destination_country"],
            "unit": r["unit"],
            "rfqs": r["rfqs"],
            "quantity": r["quantity"],
        }
        for r in rows
    ]
