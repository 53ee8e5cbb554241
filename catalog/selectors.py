"""Reads, always scoped to the actor. "Missing" and "not yours" give the same NotFound."""

from django.db.models import Prefetch, QuerySet

from catalog.models import Category, Certification, ImportJob, Product
from market.errors import NotFound
from market.models import Cooperative, Membership


def is_staff_of(user, cooperative_id: int) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and Membership.objects.filter(user=user, cooperative_id=cooperative_id).exists()
    )


def cooperative_get_for_staff(*, user, cooperative_id: int) -> Cooperative:
    """The cooperative, if `user` works for it. Otherwise NotFound (never say which)."""
    if not is_staff_of(user, cooperative_id):
        raise NotFound()
    return Cooperative.objects.get(pk=cooperative_id)


def product_list_for_staff(*, user, cooperative_id: int) -> QuerySet[Product]:
    cooperative_get_for_staff(user=user, cooperative_id=cooperative_id)
    return (
        Product.objects.filter(cooperative_id=cooperative_id)
        .select_related("category", "family")
        .prefetch_related("family__images", "price_tiers")
    )


def product_get_for_staff(*, user, cooperative_id: int, product_id: int) -> Product:
    try:
        return product_list_for_staff(user=user, cooperative_id=cooperative_id).get(pk=product_id)
    except Product.DoesNotExist:
        raise NotFound() from None


def product_list_purchasable() -> QuerySet[Product]:
    """What buyers may see and buy: ACTIVE products of VERIFIED cooperatives."""
    return Product.objects.filter(
        status=Product.Status.ACTIVE, cooperative__status=Cooperative.Status.VERIFIED
    ).select_related("cooperative", "category", "origin_province", "family")


def product_get_for_public(*, product_id: int) -> Product:
    certs = Certification.objects.filter(status=Certification.Status.VERIFIED)
    try:
        return (
            product_list_purchasable()
            .prefetch_related(
                "family__images",
                "price_tiers",
                Prefetch("family__certifications", queryset=certs),
            )
            .get(pk=product_id)
        )
    except Product.DoesNotExist:
        raise NotFound() from None


def variant_id_for_product(*, product_id: int) -> int:
    """The deprecated `product_id` of API clients: a product id is its first variant's id, and
    only a one-variant family may still be bought by it. Raises VariantRequired otherwise (an
    unknown id passes through: the cart answers it as it always did)."""
    from catalog.errors import VariantRequired

    family_id = Product.objects.filter(pk=product_id).values_list("family_id", flat=True).first()
    if family_id is not None and Product.objects.filter(family_id=family_id).count() > 1:
        raise VariantRequired(fields={"product_id": product_id})
    return product_id


def category_tree() -> list[dict]:
    """The whole tree as nested dicts, in one query."""
    nodes = {
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
    roots = []
    for node in nodes.values():  # already ordered by position, name
        (nodes[node["parent_id"]]["children"] if node["parent_id"] else roots).append(node)
    return roots


def certification_list_for_staff(*, user, cooperative_id: int) -> QuerySet[Certification]:
    cooperative_get_for_staff(user=user, cooperative_id=cooperative_id)
    return Certification.objects.filter(cooperative_id=cooperative_id).prefetch_related(
        "families__variants"
    )


def certification_get_for_staff(*, user, certification_id: int) -> Certification:
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
    if not (is_admin or is_staff_of(user, cert.cooperative_id)):
        raise NotFound()
    return cert


def import_job_get_for_staff(*, user, cooperative_id: int, job_id: int) -> ImportJob:
    cooperative_get_for_staff(user=user, cooperative_id=cooperative_id)
    try:
        return ImportJob.objects.get(pk=job_id, cooperative_id=cooperative_id)
    except ImportJob.DoesNotExist:
        raise NotFound() from None
