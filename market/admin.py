"""Django admin: the verification queue, document previews and verification actions.

Status changes go through `market.cooperatives.services` (lock, transition check, audit row, outbox, mail);
the admin never writes `status` itself.
"""

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from market import background
from market.cooperatives import services
from market.errors import DomainError
from market.models import (
    BackgroundTask,
    BuyerProfile,
    Cooperative,
    CooperativeDocument,
    Invitation,
    Membership,
    Province,
    User,
    VerificationEvent,
)
from market.reference import validators
from market.shared.outbox import record_changes

if TYPE_CHECKING:
    from django.db.models.expressions import Combinable
    from django_stubs_ext import StrOrPromise


class VerificationQueueFilter(admin.SimpleListFilter):
    title = _("verification queue")
    parameter_name = "queue"

    def lookups(
        self, request: HttpRequest, model_admin: "admin.ModelAdmin[Any]"
    ) -> "list[tuple[str, StrOrPromise]]":
        return [("1", _("Waiting for verification (oldest first)"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[Cooperative]
    ) -> QuerySet[Cooperative]:
        if self.value() == "1":
            return queryset.filter(status=Cooperative.Status.SUBMITTED)
        return queryset


class DocumentInline(admin.TabularInline):
    model = CooperativeDocument
    extra = 0
    can_delete = False
    fields = ("kind", "title", "original_name", "content_type", "size", "created_at", "preview")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # uploads go through the service that checks type and size

    @admin.display(description=_("preview"))
    def preview(self, doc: CooperativeDocument) -> str:
        url = reverse("market:document-download", args=[doc.cooperative_id, doc.pk])
        if doc.content_type.startswith("image/"):  # a height attribute: the CSP blocks style="..."
            return format_html(
                '<a href="{0}?inline=1" target="_blank" rel="noopener">'
                '<img src="{0}?inline=1" alt="" height="120"></a>',
                url,
            )
        return format_html(
            '<a href="{}?inline=1" target="_blank" rel="noopener">{}</a>', url, _("Open PDF")
        )


class VerificationEventInline(admin.TabularInline):
    model = VerificationEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "actor", "from_status", "to_status", "reason")
    readonly_fields = fields
    ordering = ("created_at", "id")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (the cooperative will see it)"), widget=forms.Textarea, max_length=2000
    )


def _run(
    modeladmin: "admin.ModelAdmin[Any]",
    request: HttpRequest,
    queryset: QuerySet[Any],
    service,
    **kwargs,
) -> None:
    done = 0
    for coop in queryset.order_by("pk"):
        try:
            service(actor=request.user, cooperative_id=coop.pk, **kwargs)
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{coop}: {exc.message}", messages.ERROR)
    if done:
        modeladmin.message_user(
            request, _("%(count)d cooperative(s) updated.") % {"count": done}, messages.SUCCESS
        )


def _with_reason(
    modeladmin: "admin.ModelAdmin[Any]",
    request: HttpRequest,
    queryset: QuerySet[Any],
    service,
    title,
):
    """An intermediate page asks for the reason, then runs the service on each selected row."""
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        _run(modeladmin, request, queryset, service, reason=form.cleaned_data["reason"])
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "queryset": queryset,
        "action": request.POST.get("action"),
        "opts": modeladmin.model._meta,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/market/cooperative/reason.html", context)


class CooperativeAdminForm(forms.ModelForm):
    """The profile rules the services apply, for edits made here: a valid MST, a ward of the province."""

    class Meta:
        model = Cooperative
        # The admin's fieldsets choose the fields shown; this form only adds the clean rules.
        fields = "__all__"  # noqa: DJ007

    def clean_tax_code(self) -> str:
        try:
            return validators.tax_code(self.cleaned_data["tax_code"])
        except validators.InvalidField as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # a ModelForm's clean() returns cleaned_data
        province, ward = cleaned.get("province"), cleaned.get("ward")
        if province and ward:
            try:
                validators.ward(ward, province=province)
            except validators.InvalidField as exc:
                self.add_error("ward", str(exc.message))
        return cleaned


@admin.register(Cooperative)
class CooperativeAdmin(admin.ModelAdmin):
    form = CooperativeAdminForm
    list_display = (
        "display_name",
        "kind",
        "province",
        "sector",
        "status",
        "submitted_at",
        "verified_at",
    )
    list_filter = (
        VerificationQueueFilter,
        "status",
        "kind",
        "sector",
        "is_agricultural",
        "province",
    )
    search_fields = ("legal_name", "trading_name", "registration_number", "tax_code", "slug")
    readonly_fields = (
        "status",
        "status_reason",
        "submitted_at",
        "verified_at",
        "created_at",
        "updated_at",
    )
    autocomplete_fields = ("province",)
    raw_id_fields = ("ward",)
    inlines = (MembershipInline, DocumentInline, VerificationEventInline)
    actions = ("verify", "reject", "suspend", "reinstate")
    list_select_related = ("province",)

    def save_model(self, request: HttpRequest, obj: Cooperative, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        record_changes(entity="cooperative", ids=[obj.pk])  # the search index shows the new profile

    def get_ordering(
        self, request: HttpRequest
    ) -> "list[str | Combinable] | tuple[str | Combinable, ...]":
        if request.GET.get("queue") == "1":
            return ("submitted_at", "id")  # the queue: whoever waited longest comes first
        return super().get_ordering(request)

    @admin.action(description=_("Verify selected cooperatives"))
    def verify(self, request: HttpRequest, queryset: QuerySet[Cooperative]) -> None:
        _run(self, request, queryset, services.cooperative_verify)

    @admin.action(description=_("Reject selected cooperatives (asks for a reason)"))
    def reject(self, request: HttpRequest, queryset: QuerySet[Cooperative]):
        return _with_reason(
            self, request, queryset, services.cooperative_reject, _("Reject cooperatives")
        )

    @admin.action(description=_("Suspend selected cooperatives (asks for a reason)"))
    def suspend(self, request: HttpRequest, queryset: QuerySet[Cooperative]):
        return _with_reason(
            self, request, queryset, services.cooperative_suspend, _("Suspend cooperatives")
        )

    @admin.action(description=_("Reinstate selected cooperatives"))
    def reinstate(self, request: HttpRequest, queryset: QuerySet[Cooperative]) -> None:
        _run(self, request, queryset, services.cooperative_reinstate)


@admin.register(VerificationEvent)
class VerificationEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "cooperative", "from_status", "to_status", "actor")
    list_filter = ("to_status",)
    readonly_fields = ("cooperative", "actor", "from_status", "to_status", "reason", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: VerificationEvent | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: VerificationEvent | None = None
    ) -> bool:
        return False  # the audit trail is append-only


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "full_name", "language", "is_staff", "is_active")
    search_fields = ("email", "full_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("full_name", "phone", "language")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(BuyerProfile)
class BuyerProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "company_name", "country")
    list_filter = ("kind", "country")
    search_fields = ("user__email", "company_name", "tax_code")


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    """Reference data loaded from `vietnam-provinces` by a migration: read-only here."""

    list_display = ("code", "name", "division_type")
    search_fields = ("name", "codename")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Province | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Province | None = None) -> bool:
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-only: invitations are made and accepted through the services (the token exists only
    in the e-mail; the database keeps its hash)."""

    list_display = (
        "email",
        "cooperative",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
    )
    list_filter = ("role", ("accepted_at", admin.EmptyFieldListFilter))
    search_fields = ("email", "cooperative__legal_name", "cooperative__trading_name")
    list_select_related = ("cooperative", "invited_by")
    exclude = ("token_hash",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Invitation | None = None) -> bool:
        return False


@admin.register(BackgroundTask)
class BackgroundTaskAdmin(admin.ModelAdmin):
    """Background work: what failed for good (after its retries) and why, with a "retry" action;
    what is queued while the broker is down. Rows are written by market.background only."""

    list_display = ("name", "status", "attempts", "created_at", "finished_at", "short_error")
    list_filter = ("status", "name")
    search_fields = ("id", "name", "request_id")
    ordering = ("-created_at",)
    actions = ["retry"]
    readonly_fields = [f.name for f in BackgroundTask._meta.fields]

    @admin.display(description=_("error"))
    def short_error(self, obj: BackgroundTask) -> str:
        lines = [ln for ln in obj.last_error.strip().splitlines() if ln.strip()]
        return lines[-1][:160] if lines else ""

    @admin.action(description=_("Retry the selected failed tasks"))
    def retry(self, request: HttpRequest, queryset: QuerySet[BackgroundTask]) -> None:
        queued = background.retry_failed(task_ids=queryset.values_list("pk", flat=True))
        skipped = queryset.count() - queued
        self.message_user(
            request,
            _(
                "%(queued)d task(s) queued again; %(skipped)d skipped (only FAILED ones are retried)."
            )
            % {"queued": queued, "skipped": skipped},
            messages.SUCCESS if queued else messages.WARNING,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: BackgroundTask | None = None
    ) -> bool:
        return False
