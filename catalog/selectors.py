"""Reads, always scoped to the actor. "Missing" and "not yours" give the same NotFound."""

import time
from typing import Any, NamedTuple

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Subquery

from catalog.models import (
    Category,
    Certification,
    ImportJob,
    Product,
    ProductFamily,
    ProductImage,
)
from market.cooperatives.selectors import Viewer, is_cooperative_staff
from market.errors import NotFound
from market.models import Cooperative, User
from market.shared.compiled import rows_for_ids


class CategoryRow(NamedTuple):
    pk: int
    slug: str
    name_vi: str
    name_en: str
    parent_id: int | None


_categories: tuple[float, dict[int, CategoryRow]] = (0.0, {})


def category_rows() -> dict[int, CategoryRow]:
    """Every category by id (a small table that public pages read on every search: its labels,
    its tree, whether a filter value exists). A process keeps it for PUBLIC_CACHE_SECONDS, the
    age the shared page cache allows public pages anyway; read fresh when that is 0 (tests,
    `make run`). A caller that misses an id asks the database (a category added since)."""
    global _categories
    ttl = getattr(settings, "PUBLIC_CACHE_SECONDS", 0)
    read_at, rows = _categories
    if ttl > 0 and time.monotonic() - read_at < ttl:
        return rows
    rows = {  # in the table's order (position, name)
        r[0]: CategoryRow(*r)
        for r in Category.objects.values_list("pk", "slug", "name_vi", "name_en", "parent_id")
    }
    _categories = (time.monotonic(), rows)
    return rows


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
        .select_related("category", "family")
        .prefetch_related("family__images", "price_tiers")
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


def _variants_prefetch(variants: QuerySet[Product]) -> "Prefetch[Any]":
    return Prefetch(
        "variants",
        queryset=variants.prefetch_related("price_tiers").order_by("position", "pk"),
        to_attr="shown_variants",
    )


def family_list_purchasable() -> QuerySet[ProductFamily]:
    """Families with at least one purchasable variant; `shown_variants` holds only those.
    EXISTS, not `pk IN (subquery)`: SQLite materialised the whole purchasable list (100,000
    ids, 140-250 ms) before looking up the 24 families of a search page."""
    variants = product_list_purchasable()
    return (
        ProductFamily.objects.filter(Exists(variants.filter(family_id=OuterRef("pk"))))
        .select_related("cooperative", "category", "origin_province")
        .prefetch_related("images", _variants_prefetch(variants))
        .order_by("-created_at", "-pk")
    )


def family_list_for_cards() -> QuerySet[ProductFamily]:
    """`family_list_purchasable()` for result cards (search pages, 24 families of up to a dozen
    variants each): the variants come without their related rows (their cooperative, category
    and origin are the family's) and without price tiers, which cards do not show. Building
    those objects was most of a search page's time. No EXISTS filter on the families: the
    callers ask for given ids and drop a family whose `shown_variants` came back empty
    (`family_for_card`), which is the same test, made once instead of twice."""
    variants = Product.objects.filter(
        status=Product.Status.ACTIVE, cooperative__status=Cooperative.Status.VERIFIED
    )
    return ProductFamily.objects.select_related(
        "cooperative__province", "category", "origin_province"
    ).prefetch_related("images", _bare_variants_prefetch(variants))


def _bare_variants_prefetch(variants: QuerySet[Product]) -> "Prefetch[Any]":
    return Prefetch(
        "variants", queryset=variants.order_by("position", "pk"), to_attr="shown_variants"
    )


# What a family card shows of its family: only a content edit changes these (search.cards
# keeps them per card generation).
CARD_FAMILY_FIELDS = (
    "family__cooperative_id",
    "family__cooperative__trading_name",
    "family__cooperative__legal_name",
    "family__cooperative__province_id",
    "family__origin_province_id",
    "family__category_id",
    "family__category__name_vi",
    "family__category__name_en",
)
# What a family card shows, per purchasable variant row (`family_card_rows`).
CARD_ROW_FIELDS = (
    "pk",
    "family_id",
    "sku",
    "slug",
    "name_vi",
    "name_en",
    "options",
    "price_vnd",
    "unit",
    "stock_qty",
    "position",
    "family__availability",
    *CARD_FAMILY_FIELDS,
)


def family_card_rows(ids: list[int]) -> list[dict[str, Any]]:
    """The purchasable variants of the families `ids` with what their family's card shows
    (names, cooperative, province codes, category, first ready photo), fresh from the
    database in ONE query of plain rows, ordered like `shown_variants` (position, pk). A family
    without a purchasable variant has no row. For result pages that only read (the search API):
    24 families as model instances with their related rows and photos took three queries and
    ~150 objects, most of a page's time once the engine had answered.

    The statement is compiled once (`market.shared.compiled`): building and compiling this
    queryset took ~90% of the time, the query itself (24 primary-key lookups) under 1 ms."""
    return rows_for_ids("family-card-rows", Product, card_rows_queryset, ids)


def card_variants(ids: list[int]) -> QuerySet[Product]:
    """The purchasable variants of the families `ids`, in the order their card shows them
    (position, pk): the rows of `card_rows_queryset` and of what search.cards reads fresh.
    The family's cooperative is its variants' (one join fewer to plan than testing the
    variant's own cooperative_id, which is the same row); province names come from
    `market.reference.admin_units.province_names`, not two more joins."""
    return Product.objects.filter(
        family_id__in=ids,
        status=Product.Status.ACTIVE,
        family__cooperative__status=Cooperative.Status.VERIFIED,
    ).order_by("position", "pk")


def card_rows_queryset(ids: list[int]) -> QuerySet[Product, dict[str, Any]]:
    """The statement of `family_card_rows` (search.cards adds a column to it)."""
    photos = ProductImage.objects.filter(
        family_id=OuterRef("family_id"), status=ProductImage.Status.READY
    ).order_by("position", "pk")
    rows: QuerySet[Product, dict[str, Any]] = card_variants(ids).values(
        *CARD_ROW_FIELDS,
        photo_variants=Subquery(photos.values("variants")[:1]),
        photo_original=Subquery(photos.values("original")[:1]),
    )
    return rows


def family_for_card(family: ProductFamily) -> ProductFamily | None:
    """Set what a family card shows from its `shown_variants` (fresh from the database): the
    cheapest variant (`variant`, the card's link and unit), the price range and how many
    variants there are. None when no variant is left to show."""
    variants: list[Product] = getattr(family, "shown_variants", [])
    if not variants:
        return None
    priced = [v for v in variants if v.price_vnd is not None] or variants
    prices = [v.price_vnd for v in variants if v.price_vnd is not None]
    # Attributes of this read only (the card's), not model fields.
    family.variant = min(priced, key=lambda v: (v.price_vnd or 0, v.position, v.pk))
    family.price_min_vnd = min(prices, default=None)
    family.price_max_vnd = max(prices, default=None)
    family.variant_count = len(variants)
    return family


def family_get_for_public(*, family_id: int) -> ProductFamily:
    certs = Certification.objects.filter(status=Certification.Status.VERIFIED)
    family = (
        family_list_purchasable()
        .prefetch_related(Prefetch("certifications", queryset=certs))
        .filter(pk=family_id)
        .first()
    )
    if family is None:
        raise NotFound()
    return family


def family_list_for_staff(*, user: User | None, cooperative_id: int) -> QuerySet[ProductFamily]:
    cooperative_get_for_member(user=user, cooperative_id=cooperative_id)
    return (
        ProductFamily.objects.filter(cooperative_id=cooperative_id)
        .select_related("category")
        .prefetch_related("images", _variants_prefetch(Product.objects.all()))
        .order_by("-created_at", "-pk")
    )


def family_get_for_staff(
    *, user: User | None, cooperative_id: int, family_id: int
) -> ProductFamily:
    family = family_list_for_staff(user=user, cooperative_id=cooperative_id).filter(pk=family_id)
    if not (found := family.first()):
        raise NotFound()
    return found


def variant_id_for_product(*, product_id: int) -> int:
    """The deprecated `product_id` of API clients: a product id is its first variant's id, and
    only a one-variant family may still be bought by it. Raises VariantRequired otherwise (an
    unknown id passes through: the cart answers it as it always did)."""
    from catalog.errors import VariantRequired

    family_id = Product.objects.filter(pk=product_id).values_list("family_id", flat=True).first()
    if family_id is not None and Product.objects.filter(family_id=family_id).count() > 1:
        raise VariantRequired(fields={"product_id": product_id})
    return product_id


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
    return Certification.objects.filter(cooperative_id=cooperative_id).prefetch_related(
        "families__variants"
    )


def certification_get_for_staff(*, user: Viewer, certification_id: int) -> Certification:
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
