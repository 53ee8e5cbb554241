"""Reads for pages whose domain selectors have not landed yet.

Each function is a thin, actor-scoped query against the models. When the owning app ships its
selector, the view switches to it and the function here goes away.
"""
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone

from catalog.models import Category, Certification, Product, ProductImage
from market.models import Cooperative


def _images():
    return Prefetch("images", queryset=ProductImage.objects.order_by("position", "id"))


def public_products():
    """Purchasable products only: active, from a verified cooperative."""
    return (
        Product.objects.filter(status=Product.Status.ACTIVE, cooperative__status=Cooperative.Status.VERIFIED)
        .select_related("cooperative", "origin_province")
        .prefetch_related(_images())
    )


def home_data() -> dict:
    return {
        "categories": list(Category.objects.filter(parent__isnull=True)[:12]),
        "cooperatives": list(
            Cooperative.objects.filter(status=Cooperative.Status.VERIFIED)
            .select_related("province").order_by("-verified_at", "pk")[:8]
        ),
    }


def cooperative_directory(*, province: int | None, sector: str | None):
    qs = Cooperative.objects.filter(status=Cooperative.Status.VERIFIED).select_related("province")
    if province:
        qs = qs.filter(province_id=province)
    if sector:
        qs = qs.filter(sector=sector)
    return qs.order_by("legal_name")


def cooperative_profile(*, slug: str) -> dict:
    coop = get_object_or_404(
        Cooperative.objects.select_related("province", "ward"), slug=slug, status=Cooperative.Status.VERIFIED
    )
    today = timezone.localdate()
    certs = [c for c in coop.certifications.all() if c.is_shown(today)]
    products = public_products().filter(cooperative=coop)[:48]
    return {"coop": coop, "certifications": certs, "products": products}


def product_detail(*, coop_slug: str, slug: str) -> dict:
    product = get_object_or_404(
        public_products().select_related("category").prefetch_related("price_tiers"),
        cooperative__slug=coop_slug, slug=slug,
    )
    today = timezone.localdate()
    certs = [c for c in product.certifications.all() if c.is_shown(today)]
    return {"product": product, "certifications": certs}
