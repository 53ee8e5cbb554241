"""RFQs ask for a product family (with an optional variant), not a variant. Three migrations, so
that the back-fill (0003) commits before the constraints that read it are added (0004): on
PostgreSQL an ALTER TABLE in the transaction that updated the rows' foreign keys fails with
"pending trigger events"."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0012_product_event_family_actions"),
        ("quotes", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="rfq",
            name="rfq_product_or_category",
        ),
        migrations.AddField(
            model_name="rfq",
            name="family",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="rfqs",
                to="catalog.productfamily",
            ),
        ),
    ]
