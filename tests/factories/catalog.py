import datetime
import io
from decimal import Decimal

import factory

from catalog.models import Category, Certification, PriceTier, Product
from tests.factories.market import CooperativeFactory


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"danh-muc-{n}")
    name_vi = factory.Sequence(lambda n: f"Danh mục {n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    """An ACTIVE product of a VERIFIED cooperative, buyable in whole kilograms."""

    class Meta:
        model = Product

    cooperative = factory.SubFactory(CooperativeFactory, verified=True)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    slug = factory.Sequence(lambda n: f"san-pham-{n}")
    name_vi = "Cà phê Robusta Đắk Lắk"
    name_en = "Dak Lak Robusta coffee"
    category = factory.SubFactory(CategoryFactory)
    origin_province = factory.LazyAttribute(lambda o: o.cooperative.province)
    unit = "KG"
    price_vnd = 120_000
    min_order_qty = Decimal("1")
    order_step = Decimal("1")
    stock_qty = Decimal("100")
    unit_weight_kg = Decimal("1")
    status = Product.Status.ACTIVE


class DraftProductFactory(ProductFactory):
    """A DRAFT product (not yet visible), complete except for images."""

    status = Product.Status.DRAFT


class PriceTierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceTier

    product = factory.SubFactory(ProductFactory)
    min_qty = Decimal("10")
    price_vnd = 110_000


class CertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certification

    cooperative = factory.SubFactory(CooperativeFactory, verified=True)
    kind = Certification.Kind.VIETGAP
    issuer = "Trung tâm Chứng nhận Phù hợp (QUACERT)"
    number = factory.Sequence(lambda n: f"VG-{n:04d}")
    valid_from = datetime.date(2025, 1, 1)
    valid_until = datetime.date(2027, 12, 31)
    status = Certification.Status.CLAIMED


def jpeg_bytes(size=(64, 48), color=(180, 120, 40), exif=None) -> bytes:
    """A real JPEG made in memory (optionally with EXIF)."""
    from PIL import Image

    out = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    Image.new("RGB", size, color).save(out, "JPEG", **kwargs)
    return out.getvalue()
