"""Forms parse and check page input; domain rules stay in the services they call."""

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from catalog.models import Certification, Product
from catalog.units import Unit
from market.cooperatives.selectors import MAX_ID
from market.errors import DomainError
from market.models import Cooperative, CooperativeDocument, Province


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """`form.fields[name]`, known to be a choice field (its choices are filled per request)."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


class DirectoryFilterForm(forms.Form):
    province = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    sector = forms.ChoiceField(
        required=False, choices=[("", "")] + list(Cooperative.Sector.choices)
    )


class AddToCartForm(forms.Form):
    product = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    quantity = forms.DecimalField(
        label=_("Quantity"), min_value=Decimal("0.001"), max_digits=14, decimal_places=3
    )


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    # Our own words, true about case: e-mail addresses are matched whatever their case, only the
    # password is case-sensitive (Django's text says both fields may be).
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "The e-mail or the password is wrong. Passwords are case-sensitive: check Caps Lock."
        ),
    }


class SignupForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password = forms.CharField(
        label=_("Password"),
        help_text=_("At least 8 characters, not only digits."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class CartLineForm(AddToCartForm):
    pass


class RemoveLineForm(forms.Form):
    product = forms.IntegerField(min_value=1, max_value=MAX_ID)


def add_domain_errors(
    form: forms.Form, exc: DomainError, renamed: dict[str, str] | None = None
) -> None:
    """Show a DomainError on the form: field messages on their fields, the rest on top.

    Some domain errors list the offending value under the field ({"payment_method": ["cod"]})
    rather than a message: then the error's own message goes next to that field. `renamed` maps a
    domain field name to the form field that holds it (export address lines)."""
    placed = False
    for name, msgs in (exc.fields or {}).items():
        name = (renamed or {}).get(name, name)
        if name not in form.fields:
            continue
        submitted = str(form.data.get(form.add_prefix(name), ""))
        for m in msgs if isinstance(msgs, (list, tuple)) else [msgs]:
            form.add_error(name, str(exc.message) if str(m) == submitted else str(m))
        placed = True
    if not placed:
        form.add_error(None, str(exc.message))


def province_choices(provinces: Iterable[Province], common: Iterable[Province] = ()) -> list[Any]:
    """The province <select>: the most used first (their own group), then every province in
    Vietnamese alphabetical order, the common ones included so the list stays complete."""
    everything = [(p.code, p.name) for p in provinces]
    if not common:
        return [("", _("Choose a province")), *everything]
    return [
        ("", _("Choose a province")),
        (_("Most used"), [(p.code, p.name) for p in common]),
        (_("All provinces and cities"), everything),
    ]


if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _text_field(
    label: "StrOrPromise",
    max_length: int,
    autocomplete: str,
    *,
    required: bool = False,
    input_type: str | None = None,
) -> forms.CharField:
    """A text field of an address form, with the browser's autofill hint (and input type)."""
    attrs = {"autocomplete": autocomplete} | ({"type": input_type} if input_type else {})
    return forms.CharField(
        label=label, max_length=max_length, required=required, widget=forms.TextInput(attrs=attrs)
    )


class CheckoutForm(forms.Form):
    """The shipping address and payment choice. Delivery in Vietnam takes province and ward (plain
    selects so the page works without JavaScript; the ward list follows the chosen province);
    export takes a country, address lines, city, postal code and an Incoterm. Both fieldsets are
    in the page; the `destination` radio decides which one counts (JS only hides the other)."""

    DOMESTIC, EXPORT = "VN", "EXPORT"

    # Not required: a form posted without it (a page cached before export existed) is domestic.
    destination = forms.ChoiceField(
        label=_("Where should we deliver?"),
        widget=forms.RadioSelect,
        required=False,
        choices=[(DOMESTIC, _("Deliver in Vietnam")), (EXPORT, _("Export"))],
    )
    recipient_name = _text_field(_("Recipient name"), 150, "name", required=True)
    recipient_phone = _text_field(_("Phone"), 20, "tel", required=True, input_type="tel")
    province_code = forms.TypedChoiceField(
        label=_("Province / city"), coerce=int, choices=(), required=False, empty_value=None
    )
    ward_code = forms.TypedChoiceField(
        label=_("Ward / commune"), coerce=int, choices=(), required=False
    )
    address_line = _text_field(_("House number, street"), 255, "street-address")
    country = forms.ChoiceField(
        label=_("Country"),
        choices=(),
        required=False,
        widget=forms.Select(attrs={"autocomplete": "country"}),
    )
    export_address_line1 = _text_field(_("Address line 1"), 150, "address-line1")
    export_address_line2 = _text_field(_("Address line 2 (optional)"), 100, "address-line2")
    city = _text_field(_("City"), 100, "address-level2")
    postal_code = _text_field(_("Postal code"), 20, "postal-code")
    incoterm = forms.ChoiceField(
        label=_("Incoterm"),
        choices=(),
        required=False,
        error_messages={
            "invalid_choice": _("This Incoterm is not offered by every cooperative in your cart.")
        },
    )
    payment_method = forms.ChoiceField(label=_("Payment"), widget=forms.RadioSelect, choices=())
    # Only with card payment (orders takes USD by card only); removed from the form otherwise.
    currency = forms.ChoiceField(
        label=_("Currency"),
        widget=forms.RadioSelect,
        required=False,
        choices=[("VND", _("Vietnamese đồng (VND)")), ("USD", _("US dollars (USD), by card"))],
    )
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(
        self,
        *args,
        provinces,
        wards,
        payment_methods,
        common_provinces=(),
        card_offered=False,
        countries=(),
        incoterms=(),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if not card_offered:
            del self.fields["currency"]
        self._province_choices = province_choices(provinces, common_provinces)
        choice_field(self, "province_code").choices = self._province_choices
        choice_field(self, "ward_code").choices = [("", _("Choose a ward"))] + [
            (w.code, w.name) for w in wards
        ]
        choice_field(self, "country").choices = [("", _("Choose a country"))] + list(countries)
        choice_field(self, "incoterm").choices = [("", _("Choose an Incoterm"))] + [
            (t, t) for t in incoterms
        ]
        choice_field(self, "payment_method").choices = payment_methods
        self.fields["province_code"].widget.attrs.update({"autocomplete": "address-level1"})

    @property
    def province_options(self) -> list[tuple[str, list[tuple[str, str, bool]]]]:
        """The province <select> as (group label or "", [(value, label, selected)]): the page
        renders it by hand for its htmx attributes. A province listed in both groups is
        selected once, in the first."""
        current, found = str(self["province_code"].value() or ""), False
        groups = []
        for value, label in self._province_choices:
            if isinstance(label, list | tuple):
                group, options = str(value), label
            else:
                group, options = "", [(value, label)]
            rows = []
            for v, text in options:
                selected = not found and str(v) == current
                found = found or selected
                rows.append((str(v), str(text), selected))
            groups.append((group, rows))
        return groups

    @property
    def is_export(self) -> bool:
        return (self.cleaned_data if hasattr(self, "cleaned_data") else {}).get(
            "destination"
        ) == self.EXPORT

    def clean(self):
        # What the chosen destination needs and orders cannot say better: a select left empty.
        data = super().clean()
        assert data is not None  # Form.clean() returns cleaned_data
        if data.get("destination") == self.EXPORT:
            required = {
                "country": _("Choose the destination country."),
                "export_address_line1": _("Enter the street address."),
                "incoterm": _("Choose an Incoterm."),
            }
            for name, message in required.items():
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, message)
        return data

    def export_address_line(self) -> str:
        lines = (
            self.cleaned_data.get("export_address_line1", ""),
            self.cleaned_data.get("export_address_line2", ""),
        )
        return ", ".join(line.strip() for line in lines if line.strip())


class TransitionForm(forms.Form):
    to = forms.CharField(max_length=12)
    carrier = forms.CharField(label=_("Carrier"), max_length=100, required=False)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=100, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False)
    unpaid_ok = forms.BooleanField(required=False)


class BankTransferReceivedForm(forms.Form):
    amount_vnd = forms.IntegerField(
        label=_("Amount received (₫)"),
        min_value=1,
        max_value=10**13,
        error_messages={"required": _("Enter the amount shown on the bank statement.")},
    )
    bank_reference = forms.CharField(
        label=_("Bank reference"),
        max_length=100,
        error_messages={"required": _("Enter the bank's transaction reference.")},
    )


class SearchForm(forms.Form):
    """The search page's GET parameters. Bad values are dropped (a stale link still searches)."""

    q = forms.CharField(required=False, max_length=200)
    category = forms.IntegerField(required=False, min_value=1)
    province = forms.IntegerField(required=False, min_value=1)
    cooperative = forms.IntegerField(required=False, min_value=1)
    certification = forms.CharField(required=False, max_length=20)
    ocop_stars = forms.IntegerField(required=False, min_value=1, max_value=5)
    price = forms.IntegerField(required=False, min_value=0)  # index of a price bucket
    in_stock = forms.BooleanField(required=False)
    pack = forms.CharField(required=False, max_length=60)  # a variant's option values
    grade = forms.CharField(required=False, max_length=60)
    crop_year = forms.CharField(required=False, max_length=4)
    sort = forms.CharField(required=False, max_length=20)
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)

    def values(self) -> dict:
        """Cleaned values; an invalid field counts as not given."""
        self.is_valid()
        data = {
            name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors
        }
        return {k: v for k, v in data.items() if v not in (None, "", False)}


# --- Cooperative staff ---


class CoopProfileForm(forms.Form):
    trading_name = forms.CharField(label=_("Trading name"), max_length=255, required=False)
    representative = forms.CharField(
        label=_("Legal representative"), max_length=150, required=False
    )
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    description_vi = forms.CharField(
        label=_("Description (Vietnamese)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    description_en = forms.CharField(
        label=_("Description (English)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    bank_bin = forms.CharField(label=_("Bank BIN (6 digits)"), max_length=6, required=False)
    bank_account = forms.CharField(label=_("Bank account number"), max_length=19, required=False)
    bank_account_name = forms.CharField(label=_("Account holder"), max_length=100, required=False)


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document type"), choices=CooperativeDocument.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    file = forms.FileField(label=_("File (PDF, JPEG or PNG, at most 10 MB)"))


class ProductForm(forms.Form):
    """Maps to catalog's editable fields; the catalog service checks the rules."""

    sku = forms.CharField(label=_("SKU"), max_length=64)
    name_vi = forms.CharField(label=_("Name (Vietnamese)"), max_length=255)
    name_en = forms.CharField(label=_("Name (English)"), max_length=255, required=False)
    description_vi = forms.CharField(
        label=_("Description (Vietnamese)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    description_en = forms.CharField(
        label=_("Description (English)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    category_id = forms.TypedChoiceField(
        label=_("Category"), coerce=int, required=False, empty_value=None
    )
    origin_province_id = forms.TypedChoiceField(
        label=_("Origin province"), coerce=int, required=False, empty_value=None
    )
    unit = forms.ChoiceField(label=_("Unit of sale"), choices=Unit.choices)
    price_vnd = forms.IntegerField(label=_("Price per unit (VND)"), min_value=1, required=False)
    min_order_qty = forms.DecimalField(
        label=_("Minimum order quantity"),
        min_value=Decimal("0.001"),
        max_digits=14,
        decimal_places=3,
    )
    order_step = forms.DecimalField(
        label=_("Order multiple"), min_value=Decimal("0.001"), max_digits=14, decimal_places=3
    )
    unit_weight_kg = forms.DecimalField(
        label=_("Shipping weight per unit (kg)"),
        required=False,
        max_digits=14,
        decimal_places=3,
        min_value=Decimal("0"),
    )
    stock_qty = forms.DecimalField(
        label=_("Stock on hand (in units of sale)"),
        help_text=_("0 shows the product as out of stock until you add stock."),
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=3,
    )
    availability = forms.ChoiceField(label=_("Availability"), choices=Product.Availability.choices)
    lead_time_days = forms.IntegerField(
        label=_("Preparation time before shipping (days)"), min_value=0, max_value=365
    )

    def __init__(self, *args, categories, provinces, with_stock=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_stock:  # an existing product's stock changes through its own stock form
            del self.fields["stock_qty"]
        choice_field(self, "category_id").choices = [("", "—")] + [
            (c.pk, c.name_vi) for c in categories
        ]
        choice_field(self, "origin_province_id").choices = [("", "—")] + [
            (p.code, p.name) for p in provinces
        ]


class StockForm(forms.Form):
    quantity = forms.DecimalField(
        label=_("Stock on hand"), min_value=Decimal("0"), max_digits=14, decimal_places=3
    )


class ImageForm(forms.Form):
    image = forms.FileField(label=_("Photo (JPEG, PNG or WebP)"))
    alt_vi = forms.CharField(
        label=_("Photo description (Vietnamese)"), max_length=255, required=False
    )


class ImageMoveForm(forms.Form):
    image = forms.IntegerField(min_value=1)
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")])


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Spreadsheet (CSV or XLSX)"))


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class CertificationClaimForm(forms.Form):
    kind = forms.ChoiceField(label=_("Certification"), choices=Certification.Kind.choices)
    ocop_stars = forms.TypedChoiceField(
        label=_("OCOP stars (OCOP only)"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", "—")] + [(i, i) for i in range(1, 6)],
    )
    issuer = forms.CharField(label=_("Issued by"), max_length=200)
    number = forms.CharField(label=_("Certificate number"), max_length=100)
    valid_from = forms.DateField(
        label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    document = forms.FileField(label=_("Certificate (PDF, JPEG or PNG)"))
    product_ids = forms.TypedMultipleChoiceField(
        label=_("Products it covers"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=(),
    )

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "product_ids").choices = [(p.pk, p.name_vi) for p in products]


class RefundCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason the buyer sees"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RefundForm(forms.Form):
    amount_vnd = forms.IntegerField(label=_("Amount (₫)"), min_value=1, max_value=10**13)
    # What the screen said was left to refund: orders refuses the refund when that changed
    # (a second click of the same form would otherwise refund the amount twice).
    left_vnd = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=10**13)
    method = forms.ChoiceField(
        label=_("Refund by"),
        required=False,
        choices=[
            ("", _("The way it was paid")),
            ("card", _("Card (through Stripe)")),
            ("wire", _("Bank transfer")),
        ],
    )
    reason = forms.CharField(
        label=_("Reason the buyer sees"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RefundPaidOutForm(forms.Form):
    note = forms.CharField(label=_("Bank reference"), max_length=200, required=False)
