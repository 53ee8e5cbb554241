"""Forms parse and check page input; domain rules stay in the services they call."""
from decimal import Decimal

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.utils.translation import gettext_lazy as _

from market.models import Cooperative, User


class DirectoryFilterForm(forms.Form):
    province = forms.IntegerField(required=False, min_value=1)
    sector = forms.ChoiceField(required=False, choices=[("", "")] + list(Cooperative.Sector.choices))


class AddToCartForm(forms.Form):
    product = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    quantity = forms.DecimalField(label=_("Quantity"), min_value=Decimal("0.001"), max_digits=14, decimal_places=3)


class LoginForm(AuthenticationForm):
    username = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))


class SignupForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "phone")
        labels = {"email": _("Email"), "full_name": _("Full name"), "phone": _("Phone")}


class CartLineForm(AddToCartForm):
    pass


class RemoveLineForm(forms.Form):
    product = forms.IntegerField(min_value=1)
