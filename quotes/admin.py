from django.contrib import admin

from quotes.models import Quote, QuoteRevision, Rfq, RfqMessage


class QuoteInline(admin.TabularInline):
    model = Quote
    extra = 0
    fields = [
        "cooperative",
        "status",
        "revision",
        "unit_price",
        "currency",
        "incoterm",
        "valid_until",
    ]
    readonly_fields = [
        "cooperative",
        "status",
        "revision",
        "unit_price",
        "currency",
        "incoterm",
        "valid_until",
    ]
    can_delete = False
    show_change_link = True


@admin.register(Rfq)
class RfqAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "title",
        "buyer",
        "cooperative",
        "status",
        "quantity",
        "unit",
        "closes_at",
    ]
    list_filter = ["status", "incoterm", "destination_country"]
    search_fields = ["code", "title", "buyer__email"]
    raw_id_fields = ["buyer", "cooperative", "family", "product", "category"]
    inlines = [QuoteInline]


class RevisionInline(admin.TabularInline):
    model = QuoteRevision
    extra = 0
    readonly_fields = ["number", "terms", "submitted_by", "created_at"]
    can_delete = False


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):
    list_display = ["rfq", "cooperative", "status", "revision", "unit_price", "currency"]
    list_filter = ["status", "currency"]
    raw_id_fields = ["rfq", "cooperative", "product", "order", "submitted_by"]
    inlines = [RevisionInline]


admin.site.register(
    RfqMessage, list_display=["rfq", "cooperative", "author", "created_at", "attachment_name"]
)
