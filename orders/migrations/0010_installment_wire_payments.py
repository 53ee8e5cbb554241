"""Every export order's wired money becomes one bank-transfer Payment (what a refund of wired
money points at; `payment_status.installment_wire_received` keeps it from now on): created here
for the wire receipts recorded before, with their sum in the installments' currency."""

from django.db import migrations
from django.db.models import Max, Sum


def wire_payments(apps, schema_editor):
    Payment = apps.get_model("orders", "Payment")
    Receipt = apps.get_model("orders", "InstallmentReceipt")
    Order = apps.get_model("orders", "Order")
    rows = (
        Receipt.objects.filter(method="wire")
        .values("installment__order_id", "installment__currency")
        .annotate(total=Sum("amount"), last=Max("created_at"))
        .order_by("installment__order_id")
    )
    for row in rows:
        order = Order.objects.get(pk=row["installment__order_id"])
        if Payment.objects.filter(order=order, provider="bank_transfer").exists():
            continue
        Payment.objects.create(
            checkout_id=order.checkout_id,
            order=order,
            provider="bank_transfer",
            amount=row["total"],
            currency=row["installment__currency"],
            status="SUCCEEDED",
            paid_at=row["last"],
        )


class Migration(migrations.Migration):
    dependencies = [("orders", "0009_refund_commission_back")]

    operations = [migrations.RunPython(wire_payments, migrations.RunPython.noop)]
