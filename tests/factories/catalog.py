import datetime
import io
from decimal import Decimal

import factory

from catalog.models import Category, Certification, PriceTier, Product, ProductFamily, ProductImage
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


def family_with_variants(*options_list, cooperative=None, status=Product.Status.ACTIVE, **shared):
    """A family (photo included) whose variants carry the given option dicts, made through
    ProductFactory; returns (family, [variants])."""
    first = ProductFactory(
        options=options_list[0],
        status=status,
        **({"cooperative": cooperative} if cooperative else {}),
        **shared,
    )
    from catalog.options import options_key

    first.options_key = options_key(first.options)
    first.save(update_fields=["options_key"])
    variants = [first]
    for i, options in enumerate(options_list[1:], start=1):
        variants.append(
            ProductFactory(
                cooperative=first.cooperative,
                family=first.family,
                options=options,
                options_key=options_key(options),
                position=i,
                status=status,
                price_vnd=first.price_vnd + 10_000 * i,
                **{f: getattr(first.family, f) for f in ProductFamily.SHARED_FIELDS},
            )
        )
    image = ProductImage(family=first.family, position=0, width=10, height=10, variants={})
    image.original.name = "products/x.webp"
    image.save()
    return first.family, variants
