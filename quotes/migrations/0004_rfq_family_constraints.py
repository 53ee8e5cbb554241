from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("quotes", "0003_rfq_family_backfill")]

    operations = [
        migrations.AddConstraint(
            model_name="rfq",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("family__isnull", False), ("category__isnull", False), _connector="OR"
                ),
                name="rfq_family_or_category",
            ),
        ),
        migrations.AddConstraint(
            model_name="rfq",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("product__isnull", True), ("family__isnull", False), _connector="OR"
                ),
                name="rfq_variant_has_family",
            ),
        ),
    ]
