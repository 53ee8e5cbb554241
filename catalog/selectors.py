"""Reads, always scoped to the actor. "Missing" and "not yours" give the same NotFound."""

from typing import Any

from django.db.models import Prefetch, QuerySet

from catalog.models import Category, Certification, ImportJob, Product
from market.cooperatives.selectors import is_cooperative_staff
from market.errors import NotFound
from market.models import Cooperative, User


def cooperative_get_for_member(*, user: User | None, cooperative_id: int) -> Cooperative:
    """The cooperative, if `user` works for it (members only: unlike
    `market.cooperatives.selectors.cooperative_get_for_staff`, platform admins are not let in).
    Otherwise NotFound (never say which)."""
    if not is_cooperative_staff(user=user, cooperative_id=cooperative_id):
        raise NotFound()
    return Cooperative.objects.get(pk=cooperative_id)


def product_list_for_staff(*, user: User | None, cooperative_id: int) -> QuerySet[Product]:
    cooperative_get_for_member(user=user, cooperative_id=cooperative_id)
    return (
        Product.objects.filter(cooperative_id=cooperative_id)
        .select_related("category")
        .prefetch_related("images", "price_tiers")
    )


def product_get_for_staff(*, user: User | None, cooperative_id: int, product_id: int) -> Product:
    try:
        return product_list_for_staff(user=user, cooperative_id=cooperative_id).get(pk=product_id)
    except Product.DoesNotExist:
        raise NotFound() from None


def product_list_purchasable() -> QuerySet[Product]:
    """What buyers may see and buy: ACTIVE products of VERIFIED cooperatives."""
    return Product.objects.filter(
        status=Product.Status.ACTIVE, cooperative__status=Cooperative.Status.VERIFIED
    ).select_related("cooperative", "category", "origin_province")


def product_get_for_public(*, product_id: int) -> Product:
    certs = Certification.objects.filter(status=Certification.Status.VERIFIED)
    try:
        return (
            product_list_purchasable()
            .prefetch_related("images", "price_tiers", Prefetch("certifications", queryset=certs))
            .get(pk=product_id)
        )
    except Product.DoesNotExist:
        raise NotFound() from None


def category_tree() -> list[dict[str, Any]]:
    """The whole tree as nested dicts, in one query."""
    nodes: dict[int, dict[str, Any]] = {
        c.pk: {
            "id": c.pk,
            "slug": c.slug,
            "name_vi": c.name_vi,
            "name_en": c.name_en,
            "parent_id": c.parent_id,
            "children": [],
        }
        for c in Category.objects.all()
    }
    roots: list[dict[str, Any]] = []
    for node in nodes.values():  # already ordered by position, name
        (nodes[node["parent_id"]]["children"] if node["parent_id"] else roots).append(node)
    return roots


def certification_list_for_staff(
    *, user: User | None, cooperative_id: int
) -> QuerySet[Certification]:
    cooperative_get_for_member(user=user, cooperative_id=cooperative_id)
    return Certification.objects.filter(cooperative_id=cooperative_id).prefetch_related("products")


def certification_get_for_staff(*, user: User | None, certification_id: int) -> Certification:
    """A certification of a cooperative the user works for (any, for a platform admin); NotFound
    otherwise, so the answer never reveals that it exists."""
    cert = (
        Certification.objects.filter(pk=certification_id)
        .only("pk", "cooperative_id", "document")
        .first()
    )
    if cert is None:
        raise NotFound()
    is_admin = bool(user is not None and user.is_authenticated and user.is_platform_admin)
    if not (is_admin or is_cooperative_staff(user=user, cooperative_id=cert.cooperative_id)):
        raise NotFound()
    return cert


def import_job_get_for_staff(*, user: User | None, cooperative_id: int, job_id: int) -> ImportJob:
    cooperative_get_for_member(user=user, cooperative_id=cooperative_id)
    try:
        return ImportJob.objects.get(pk=job_id, cooperative_id=cooperative_id)
    except ImportJob.DoesNotExist:
        raise NotFound() from None
