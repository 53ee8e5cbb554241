"""Seed the category tree (Vietnamese + English names, slugs). Re-runnable: updates by slug."""
from django.db import migrations


def seed(apps, schema_editor):
    from catalog.data.categories import flat

    Category = apps.get_model("catalog", "Category")
    by_slug = {}
    for slug, vi, en, parent, position in flat():
        obj, _ = Category.objects.update_or_create(
            slug=slug,
            defaults={"name_vi": vi, "name_en": en, "parent": by_slug.get(parent), "position": position},
        )
        by_slug[slug] = obj


def unseed(apps, schema_editor):
    from catalog.data.categories import flat

    Category = apps.get_model("catalog", "Category")
    # children first: parent is PROTECT
    for slug, *_ in reversed(list(flat())):
        Category.objects.filter(slug=slug, products__isnull=True, children__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_import_job")]
    operations = [migrations.RunPython(seed, unseed)]
