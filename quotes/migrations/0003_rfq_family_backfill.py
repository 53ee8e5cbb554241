"""Every RFQ that named a variant now also names its family; the variant stays as the buyer's
chosen one."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def families_from_variants(apps, schema_editor):
    Rfq = apps.get_model("quotes", "Rfq")
    Product = apps.get_model("catalog", "Product")
    Rfq.objects.filter(product__isnull=False).update(
        family_id=Subquery(Product.objects.filter(pk=OuterRef("product_id")).values("family_id")[:1])
    )


def variants_from_families(apps, schema_editor):
    """Backwards: the old constraint wants a variant or a category; an RFQ that named only a
    family gets the family's first variant."""
    Rfq = apps.get_model("quotes", "Rfq")
    Product = apps.get_model("catalog", "Product")
    Rfq.objects.filter(product__isnull=True, family__isnull=False).update(
        product_id=Subquery(
            Product.objects.filter(family_id=OuterRef("family_id")).order_by("pk").values("pk")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [("quotes", "0002_rfq_family")]

    operations = [migrations.RunPython(families_from_variants, variants_from_families)]
