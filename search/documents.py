"""Build the search document for products, from the database.

Only purchasable products (cooperative VERIFIED, product ACTIVE) get a document; every other id
asked for is reported back so the caller deletes it from the index. Text is stored twice: as
written (NFC, for the exact-diacritic boost) and folded (for recall).
"""
from collections.abc import Iterable, Iterator

from django.db.models import Prefetch, Q
from django.utils import timezone

from catalog.models import Category, Certification, Product
from market.models import Cooperative
from search.text import fold, normalize

PURCHASABLE = Q(status=Product.Status.ACTIVE, cooperative__status=Cooperative.Status.VERIFIED)


def purchasable_products():
    return Product.objects.filter(PURCHASABLE)


def _category_tree() -> dict[int, tuple[int | None, str, str]]:
    return {c.pk: (c.parent_id, c.name_vi, c.name_en)
            for c in Category.objects.only("pk", "parent_id", "name_vi", "name_en")}


def _path(tree, category_id) -> list[int]:
    path, seen = [], set()
    while category_id is not None and category_id in tree and category_id not in seen:
        seen.add(category_id)
        path.append(category_id)
        category_id = tree[category_id][0]
    return path[::-1]


def _certs(product, today) -> list[Certification]:
    return [c for c in product.certifications.all() if c.is_shown(today)]


def build(product: Product, tree, today) -> dict:
    """One document. `product` comes from `_queryset()` (related rows already loaded)."""
    coop = product.cooperative
    province = product.origin_province or coop.province
    path = _path(tree, product.category_id)
    certs = _certs(product, today)
    stars = [c.ocop_stars for c in certs if c.kind == Certification.Kind.OCOP and c.ocop_stars]
    names = f"{product.name_vi} {product.name_en}".strip()
    context = " ".join(
        [product.description_vi, product.description_en, coop.display_name, province.name if province else ""]
        + [f"{tree[c][1]} {tree[c][2]}" for c in path]
        + [c.get_kind_display() for c in certs]
    )
    incoterms = sorted({str(i) for i in (product.incoterms or [])})
    return {
        "id": product.pk,
        "name_vi": product.name_vi,
        "name_en": product.name_en,
        "name_exact": normalize(names),
        "name_fold": fold(names),
        "body_exact": normalize(context),
        "body_fold": fold(context),
        "category_id": product.category_id,
        "category_path": path,
        "province_id": province.pk if province else None,
        "cooperative_id": coop.pk,
        "certifications": sorted({c.kind for c in certs}),
        "ocop_stars": max(stars) if stars else None,
        "price_vnd": product.price_vnd,
        "in_stock": product.stock_qty > 0,
        "incoterms": incoterms,
        "export_ready": bool(incoterms),
        "created": product.created_at,
    }


def _queryset():
    today = timezone.localdate()
    certs = Certification.objects.filter(status=Certification.Status.VERIFIED).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today))
    return (purchasable_products()
            .select_related("cooperative__province", "origin_province")
            .prefetch_related(Prefetch("certifications", queryset=certs)))


def build_for(ids: Iterable[int]) -> tuple[list[dict], list[int]]:
    """Documents for the purchasable ones among `ids`, and the ids to delete from the index."""
    ids = sorted(set(ids))
    tree, today = _category_tree(), timezone.localdate()
    docs = [build(p, tree, today) for p in _queryset().filter(pk__in=ids)]
    found = {d["id"] for d in docs}
    return docs, [i for i in ids if i not in found]


def iter_all(batch_size: int = 1000) -> Iterator[list[dict]]:
    """Every purchasable product's document, in batches, paging by primary key."""
    tree, today, last = _category_tree(), timezone.localdate(), 0
    while True:
        batch = list(_queryset().filter(pk__gt=last).order_by("pk")[:batch_size])
        if not batch:
            return
        last = batch[-1].pk
        yield [build(p, tree, today) for p in batch]
