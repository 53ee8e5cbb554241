from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from market.models import User
from orders.models import (
    Checkout,
    ExchangeRate,
    ExportTerms,
    IdempotencyKey,
    Installment,
    InstallmentReceipt,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    PaymentWebhookEvent,
    Refund,
    ShippingRule,
)


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    readonly_fields = [
        "product",
        "product_name",
        "sku",
        "unit",
        "unit_price_vnd",
        "quantity",
        "line_total_vnd",
        "refused",
        "refused_reason",
        "stock_released",
    ]
    can_delete = False


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    readonly_fields = ["created_at", "actor", "kind", "from_status", "to_status", "note"]
    can_delete = False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Read-mostly: status moves go through the services (events, stock), not this form."""

    list_display = [
        "code",
        "cooperative",
        "buyer",
        "status",
        "payment_status",
        "payment_method",
        "total_vnd",
        "placed_at",
    ]
    list_filter = ["status", "payment_status", "payment_method"]
    search_fields = ["code", "buyer__email", "cooperative__legal_name", "tracking_number"]
    readonly_fields = [f.name for f in Order._meta.fields]
    inlines = [OrderLineInline, OrderEventInline]


@admin.register(Checkout)
class CheckoutAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "buyer",
        "currency",
        "total_vnd",
        "payment_method",
        "country",
        "created_at",
    ]
    readonly_fields = [f.name for f in Checkout._meta.fields]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "checkout",
        "order",
        "provider",
        "amount",
        "currency",
        "status",
        "provider_id",
    ]
    list_filter = ["provider", "status"]
    readonly_fields = [f.name for f in Payment._meta.fields]


@admin.action(description=_("Mark selected bank-transfer refunds as paid out"))
def mark_paid_out(
    modeladmin: "admin.ModelAdmin[Any]", request: HttpRequest, queryset: QuerySet[Any]
) -> None:
    from orders.errors import DomainError
    from orders.services.refunds import refund_mark_paid_out

    assert isinstance(request.user, User)  # the admin site signs its users in
    done = 0
    for refund_id in queryset.order_by("pk").values_list("pk", flat=True):
        try:
            refund_mark_paid_out(actor=request.user, refund_id=refund_id)
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"#{refund_id}: {exc.message}", level=messages.WARNING)
    modeladmin.message_user(request, _("%(n)s refund(s) marked as paid out.") % {"n": done})


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    """Pending bank-transfer refunds are the list to pay back: filter status=Pending and
    provider=Bank transfer, pay, then use the action (it goes through the service)."""

    list_display = ["id", "order", "payment_provider", "amount_vnd", "status", "created_at"]
    list_filter = ["status", "payment__provider"]
    search_fields = ["order__code"]
    readonly_fields = [f.name for f in Refund._meta.fields]
    actions = [mark_paid_out]

    @admin.display(description=_("Payment method"), ordering="payment__provider")
    def payment_provider(self, obj: Refund) -> str:
        return obj.payment.get_provider_display()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Refund]:
        return super().get_queryset(request).select_related("order", "payment")


@admin.register(PaymentWebhookEvent)
class PaymentWebhookEventAdmin(admin.ModelAdmin):
    list_display = [
        "provider",
        "event_id",
        "type",
        "result",
        "attempts",
        "received_at",
        "processed_at",
    ]
    list_filter = ["provider", "type", "result"]
    readonly_fields = [f.name for f in PaymentWebhookEvent._meta.fields]


@admin.register(ShippingRule)
class ShippingRuleAdmin(admin.ModelAdmin):
    list_display = [
        "cooperative",
        "kind",
        "flat_fee_vnd",
        "base_fee_vnd",
        "per_kg_vnd",
        "free_over_vnd",
    ]


admin.site.register(
    IdempotencyKey, list_display=["principal", "key", "state", "response_status", "expires_at"]
)


# --- export orders ---


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    """Admins keep the USD/VND rate table (also `manage.py rates_load` and POST /api/v1/rates/)."""

    list_display = ["date", "currency", "rate_vnd", "source", "created_by"]
    list_filter = ["currency", "source"]
    date_hierarchy = "date"
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request: HttpRequest, obj: ExchangeRate, form: Any, change: bool) -> None:
        assert isinstance(request.user, User)  # the admin site signs its users in
        obj.created_by = obj.created_by or request.user
        super().save_model(request, obj, form, change)


class InstallmentInline(admin.TabularInline):
    model = Installment
    extra = 0
    fields = ["sequence", "kind", "percent", "amount", "currency", "due", "due_date", "amount_paid"]
    readonly_fields = [
        "sequence",
        "kind",
        "percent",
        "amount",
        "currency",
        "due",
        "due_date",
        "amount_paid",
    ]
    can_delete = False


@admin.register(ExportTerms)
class ExportTermsAdmin(admin.ModelAdmin):
    list_display = ["order", "quote_ref", "currency", "total", "incoterm", "named_place"]
    search_fields = ["order__code", "quote_ref"]
    readonly_fields = ["order", "quote_ref", "currency", "unit_price", "total", "usd_vnd_rate"]


admin.site.register(
    InstallmentReceipt,
    list_display=["installment", "method", "amount", "reference", "confirmed_by", "created_at"],
    search_fields=["reference", "installment__order__code"],
)
