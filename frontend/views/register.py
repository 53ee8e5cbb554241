""" "Register your cooperative": a signed-in person creates a DRAFT cooperative and becomes its
owner (market.cooperatives.services.cooperative_create), then lands on the dashboard's onboarding checklist
(upload documents → send for verification).

Mobile first and usable without JavaScript: the ward list follows the province through
checkout's htmx endpoint, and without JS a "show wards" button re-renders the page with what was
typed (a POST, so tax code and bank account never end up in a URL or an access log)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from frontend.forms import add_domain_errors, choice_field
from frontend.views.common import SignedInRequest, province_code, ward_list
from market.cooperatives import selectors as market_selectors
from market.cooperatives import services as market_services
from market.errors import DomainError
from market.models import Cooperative
from market.reference import validators

# Common banks with their NAPAS BINs (VietQR tag 38). Cross-checked: /work/shared/notes/payments.md
# (Agribank, BIDV, Vietcombank, ACB) and several public VietQR bank tables (all ten agree).
BANKS = (
    ("970436", "Vietcombank"),
    ("970415", "VietinBank"),
    ("970418", "BIDV"),
    ("970405", "Agribank"),
    ("970407", "Techcombank"),
    ("970422", "MB"),
    ("970416", "ACB"),
    ("970432", "VPBank"),
    ("970403", "Sacombank"),
    ("970423", "TPBank"),
)

_NUMERIC = {"inputmode": "numeric"}


def _text(
    label, *, required=False, max_length=255, help_text="", attrs=None, messages_required=None
):
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        help_text=help_text,
        widget=forms.TextInput(attrs=attrs or {}),
        error_messages={"required": messages_required} if messages_required else None,
    )


class _WardField(forms.TypedChoiceField):
    """A ward <select> whose posted code market checks: a ward of another province then gets
    market's specific message ("X is in Y, not in Z") rather than a generic "invalid choice"."""

    def valid_value(self, value):
        return True


class CooperativeRegisterForm(forms.Form):
    """Field names follow market's PROFILE_FIELDS so DomainError.fields land next to the right
    input; only the province/ward pair keeps checkout's names (the htmx ward endpoint is shared)."""

    kind = forms.ChoiceField(
        label=gettext_lazy("Type of organisation"),
        choices=Cooperative.Kind.choices,
        widget=forms.RadioSelect,
        initial=Cooperative.Kind.HTX,
    )
    legal_name = _text(
        gettext_lazy("Legal name (as on the registration certificate)"),
        required=True,
        attrs={"autocomplete": "organization"},
        messages_required=gettext_lazy("Enter the cooperative's legal name."),
    )
    trading_name = _text(
        gettext_lazy("Trading name (optional)"), help_text=gettext_lazy("The name buyers see.")
    )
    registration_number = _text(
        gettext_lazy("Registration number"),
        required=True,
        max_length=50,
        attrs={**_NUMERIC, "autocomplete": "off"},
        messages_required=gettext_lazy("Enter the registration number from the certificate."),
    )
    tax_code = _text(
        gettext_lazy("Tax code (MST)"),
        required=True,
        max_length=20,
        attrs={**_NUMERIC, "autocomplete": "off"},
        help_text=gettext_lazy("10 digits, or 13 for a branch (e.g. 0100109106-001)."),
        messages_required=gettext_lazy("Enter the tax code (MST)."),
    )
    province_code = forms.TypedChoiceField(
        label=gettext_lazy("Province / city"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=gettext_lazy(
            "The 34 provinces since July 2025. Before the "
            "merger your province had another name? Type it "
            "below: it is mapped automatically."
        ),
    )
    province_name = _text(
        gettext_lazy("Or type the province name (old names work)"),
        max_length=100,
        attrs={"autocomplete": "off"},
    )
    ward_code = _WardField(
        label=gettext_lazy("Ward / commune"), coerce=int, required=False, empty_value=None
    )
    address = _text(
        gettext_lazy("House number, street, hamlet"), attrs={"autocomplete": "street-address"}
    )
    phone = _text(
        gettext_lazy("Phone"),
        required=True,
        max_length=20,
        attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"},
        messages_required=gettext_lazy("Enter a phone number buyers can call."),
    )
    email = forms.EmailField(
        label=gettext_lazy("Email (optional)"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    representative = _text(
        gettext_lazy("Legal representative (director)"),
        required=True,
        max_length=150,
        attrs={"autocomplete": "name"},
        messages_required=gettext_lazy("Enter the name of the legal representative."),
    )
    sector = forms.ChoiceField(
        label=gettext_lazy("Main sector"),
        choices=Cooperative.Sector.choices,
        initial=Cooperative.Sector.CROPS,
    )
    is_agricultural = forms.BooleanField(
        label=gettext_lazy("Agricultural cooperative"), required=False, initial=True
    )
    member_count = forms.IntegerField(
        label=gettext_lazy("Number of members (optional)"),
        required=False,
        min_value=1,
        max_value=1_000_000,
        widget=forms.NumberInput(attrs=_NUMERIC),
    )
    year_founded = forms.IntegerField(
        label=gettext_lazy("Year founded (optional)"),
        required=False,
        widget=forms.NumberInput(attrs=_NUMERIC),
    )
    description_vi = forms.CharField(
        label=gettext_lazy("Description (Vietnamese)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    description_en = forms.CharField(
        label=gettext_lazy("Description (English, optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    bank_bin = forms.ChoiceField(
        label=gettext_lazy("Bank"),
        required=False,
        help_text=gettext_lazy("Buyers pay you by bank transfer (VietQR)."),
    )
    bank_account = _text(
        gettext_lazy("Account number"), max_length=30, attrs={**_NUMERIC, "autocomplete": "off"}
    )
    bank_account_name = _text(
        gettext_lazy("Account holder"), max_length=100, attrs={"autocomplete": "off"}
    )

    def __init__(self, *args, provinces, wards, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "province_code").choices = [("", _("Choose a province"))] + [
            (p.code, p.name) for p in provinces
        ]
        choice_field(self, "ward_code").choices = [("", _("Choose a ward"))] + [
            (w.code, w.name) for w in wards
        ]
        choice_field(self, "bank_bin").choices = [("", _("Choose your bank"))] + [
            (b, f"{n} ({b})") for b, n in BANKS
        ]
        # htmx swaps the ward <select> when either province input changes; both are sent.
        picker = {
            "hx-get": reverse("frontend:coop_register_wards"),
            "hx-trigger": "change",
            "hx-target": "#id_ward_code",
            "hx-swap": "outerHTML",
            "hx-include": "#id_province_code, #id_province_name",
        }
        self.fields["province_code"].widget.attrs.update(
            {**picker, "autocomplete": "address-level1"}
        )
        self.fields["province_name"].widget.attrs.update(picker)

    def clean(self):
        data = super().clean()
        assert data is not None  # Form.clean() returns cleaned_data
        if not data.get("province_code") and not (data.get("province_name") or "").strip():
            self.add_error(
                "province_code", _("Choose the province where the cooperative is registered.")
            )
        if (
            data.get("bank_bin")
            and not data.get("bank_account")
            and "bank_account" not in self.errors
        ):
            self.add_error("bank_account", _("Enter the account number for this bank."))
        return data

    def describe_errors(self) -> None:
        """Point each wrong input at its message (and help), so a screen reader reads them together."""
        for name in self.errors:
            if name in self.fields:
                ids = [f"id_{name}_error"] + (
                    [f"id_{name}_helptext"] if self.fields[name].help_text else []
                )
                self.fields[name].widget.attrs["aria-describedby"] = " ".join(ids)

    @property
    def province_field(self) -> str:
        """Where the province came from (and where its error shows): the select, or the typed name."""
        return "province_code" if self.cleaned_data.get("province_code") else "province_name"

    def service_data(self) -> dict:
        """cooperative_create's `data`: the typed province name goes to market, which maps old names."""
        d = self.cleaned_data
        data = {
            "province": d["province_code"] or d["province_name"].strip(),
            "ward": d.get("ward_code"),
        }
        for name in (
            "kind",
            "legal_name",
            "trading_name",
            "registration_number",
            "tax_code",
            "address",
            "phone",
            "email",
            "representative",
            "sector",
            "is_agricultural",
            "member_count",
            "year_founded",
            "description_vi",
            "description_en",
            "bank_bin",
            "bank_account",
            "bank_account_name",
        ):
            data[name] = d.get(name)
        # Empty optional fields keep the model's defaults; False (not agricultural) is a real answer.
        return {k: v for k, v in data.items() if v not in ("", None)}


def _province_for_wards(source) -> int | None:
    """The province whose wards the picker lists: the chosen code, else a typed (maybe former) name."""
    code = province_code(source.get("province_code"))
    if code is not None:
        return code
    name = (source.get("province_name") or "").strip()
    if name:
        try:
            return validators.province(name).code
        except validators.InvalidField:
            return None
    return None


def _form(source=None, *, bound: bool):
    provinces = market_selectors.province_list_for_picker()
    wards = ward_list(_province_for_wards(source or {}))
    if bound:
        return CooperativeRegisterForm(source, provinces=provinces, wards=wards)
    initial = {k: v for k, v in (source or {}).items() if k != "csrfmiddlewaretoken"}
    if (
        "show_wards" in initial
    ):  # a no-JS reload: an unticked box is "not agricultural", not "untouched"
        initial["is_agricultural"] = "is_agricultural" in initial
    return CooperativeRegisterForm(initial=initial, provinces=provinces, wards=wards)


@login_required
@require_http_methods(["GET", "POST"])
def register(request: SignedInRequest) -> HttpResponse:
    if request.method == "POST" and "show_wards" in request.POST:
        form = _form(request.POST.dict(), bound=False)
        return render(request, "frontend/coop/register.html", {"form": form, "wards_shown": True})
    form = _form(request.POST if request.method == "POST" else None, bound=request.method == "POST")
    if request.method == "POST" and form.is_valid():
        try:
            coop = market_services.cooperative_create(actor=request.user, data=form.service_data())
        except DomainError as exc:
            add_domain_errors(
                form, exc, renamed={"province": form.province_field, "ward": "ward_code"}
            )
        else:
            messages.success(
                request,
                _(
                    "Your cooperative is registered as a draft. Next: upload the business "
                    "registration certificate, then send it for verification."
                ),
            )
            return redirect("frontend:coop_dashboard", coop.pk)
    if form.is_bound:
        form.describe_errors()
    return render(request, "frontend/coop/register.html", {"form": form})


@require_GET
def wards(request: HttpRequest) -> HttpResponse:
    """The ward <select> for the chosen or typed province (htmx swaps it in)."""
    form = CooperativeRegisterForm(provinces=[], wards=ward_list(_province_for_wards(request.GET)))
    return HttpResponse(form["ward_code"].as_widget())
