"""Forms parse and check page input; domain rules stay in the services they call."""
from decimal import Decimal

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from market.models import Cooperative


class DirectoryFilterForm(forms.Form):
    province = forms.IntegerField(required=False, min_value=1)
    sector = forms.ChoiceField(required=False, choices=[("", "")] + list(Cooperative.Sector.choices))


class AddToCartForm(forms.Form):
    product = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    quantity = forms.DecimalField(label=_("Quantity"), min_value=Decimal("0.001"), max_digits=14, decimal_places=3)


class LoginForm(AuthenticationForm):
    username = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))


class SignupForm(forms.Form):
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False,
                                widget=forms.TextInput(attrs={"autocomplete": "name"}))
    password = forms.CharField(label=_("Password"), help_text=_("At least 8 characters, not only digits."),
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class CartLineForm(AddToCartForm):
    pass


class RemoveLineForm(forms.Form):
    product = forms.IntegerField(min_value=1)


def add_domain_errors(form: forms.Form, exc) -> None:
    """Show a DomainError on the form: field messages on their fields, the rest on top."""
    placed = False
    for name, msgs in (exc.fields or {}).items():
        if name in form.fields:
            for m in msgs if isinstance(msgs, (list, tuple)) else [msgs]:
                form.add_error(name, str(m))
            placed = True
    if not placed:
        form.add_error(None, str(exc.message))


class CheckoutForm(forms.Form):
    """The shipping address and payment choice. Province and ward are plain selects so the page
    works without JavaScript; the ward list follows the chosen province."""

    recipient_name = forms.CharField(label=_("Recipient name"), max_length=150,
                                     widget=forms.TextInput(attrs={"autocomplete": "name"}))
    recipient_phone = forms.CharField(label=_("Phone"), max_length=20,
                                      widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}))
    province_code = forms.TypedChoiceField(label=_("Province / city"), coerce=int, choices=())
    ward_code = forms.TypedChoiceField(label=_("Ward / commune"), coerce=int, choices=(), required=False)
    address_line = forms.CharField(label=_("House number, street"), max_length=255,
                                   widget=forms.TextInput(attrs={"autocomplete": "street-address"}))
    payment_method = forms.ChoiceField(label=_("Payment"), widget=forms.RadioSelect, choices=())
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, provinces, wards, payment_methods, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province_code"].choices = [("", _("Choose a province"))] + [(p.code, p.name) for p in provinces]
        self.fields["ward_code"].choices = [("", _("Choose a ward"))] + [(w.code, w.name) for w in wards]
        self.fields["payment_method"].choices = payment_methods
        self.fields["province_code"].widget.attrs.update({"autocomplete": "address-level1"})


class TransitionForm(forms.Form):
    to = forms.CharField(max_length=12)
    carrier = forms.CharField(label=_("Carrier"), max_length=100, required=False)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=100, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False)


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
    sort = forms.CharField(required=False, max_length=20)
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)

    def values(self) -> dict:
        """Cleaned values; an invalid field counts as not given."""
        self.is_valid()
        data = {name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors}
        return {k: v for k, v in data.items() if v not in (None, "", False)}
