from decimal import Decimal

import factory

from catalog.models import Category, Product
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
