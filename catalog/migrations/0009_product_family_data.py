"""Every existing product becomes a family with one variant (issue #13).

The product row stays the variant (same id, so carts, order lines, events and API clients keep
working); a new family gets the shared content (names, descriptions, category, origin, export
data, seasonality), the product's images move to the family and its certifications follow.
Nothing is deleted. Reversible: the reverse step puts images and certifications back on the
product (each family's first variant) before 0007's fields are removed."""

from django.db import migrations
from django.db.models import OuterRef, Subquery

SHARED = (
    "name_vi",
    "name_en",
    "description_vi",
    "description_en",
    "category_id",
    "origin_province_id",
    "availability",
    "harvest_start",
    "harvest_end",
    "season_months",
    "hs_code",
    "incoterms",
    "port_of_loading",
)
BATCH = 1000


def forwards(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    Family = apps.get_model("catalog", "ProductFamily")
    Image = apps.get_model("catalog", "ProductImage")
    Certification = apps.get_model("catalog", "Certification")
    todo = Product.objects.filter(family__isnull=True).order_by("pk")
    made = 0
    while batch := list(todo[:BATCH]):
        families = Family.objects.bulk_create(
            [
                Family(
                    cooperative_id=p.cooperative_id,
                    slug=p.slug,
                    **{f: getattr(p, f) for f in SHARED},
                )
                for p in batch
            ]
        )
        for product, family in zip(batch, families):
            product.family_id = family.pk
        Product.objects.bulk_update(batch, ["family"])
        made += len(batch)
    # The family is as old as its product (auto_now_add stamped it with today).
    Family.objects.update(
        created_at=Subquery(
            Product.objects.filter(family=OuterRef("pk")).order_by("pk").values("created_at")[:1]
        )
    )
    for image in Image.objects.filter(family__isnull=True).select_related("product").iterator():
        Image.objects.filter(pk=image.pk).update(family_id=image.product.family_id)
    Through = Certification.families.through
    rows = [
        Through(certification_id=cert_id, productfamily_id=family_id)
        for cert_id, family_id in Certification.products.through.objects.values_list(
            "certification_id", "product__family_id"
        )
    ]
    Through.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
    if made:
        print(f"\n  {made} products became one-variant families", flush=True)


def backwards(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    Image = apps.get_model("catalog", "ProductImage")
    Certification = apps.get_model("catalog", "Certification")
    first = {}
    for pk, family_id in Product.objects.order_by("pk").values_list("pk", "family_id"):
        first.setdefault(family_id, pk)
    for image in Image.objects.iterator():
        Image.objects.filter(pk=image.pk).update(product_id=first[image.family_id])
    Through = Certification.products.through
    Through.objects.bulk_create(
        [
            Through(certification_id=cert_id, product_id=first[family_id])
            for cert_id, family_id in Certification.families.through.objects.values_list(
                "certification_id", "productfamily_id"
            )
            if family_id in first
        ],
        ignore_conflicts=True,
    )
    Product.objects.update(family=None)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0008_product_family")]

    operations = [migrations.RunPython(forwards, backwards)]
