"""The cart page and its three actions (add, change quantity, remove). Works without JS."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from frontend import cart_session
from frontend.forms import AddToCartForm, CartLineForm, RemoveLineForm
from frontend.views.common import run_one
from orders.services.cart import cart_line_remove, cart_line_set, cart_refresh


@require_GET
def cart(request: HttpRequest) -> HttpResponse:
    view = cart_refresh(cart=cart_session.current(request))
    return render(request, "frontend/cart.html", {"view": view})


def _set_line(request, form_class, *, add: bool, ok_message: str):
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a valid quantity."))
        return redirect("frontend:cart")
    run_one(
        request,
        lambda: cart_line_set(
            cart=cart_session.current(request, create=True),
            product_id=form.cleaned_data["product"],
            quantity=form.cleaned_data["quantity"],
            add=add,
        ),
        ok_message,
    )
    return redirect("frontend:cart")


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    return _set_line(request, AddToCartForm, add=True, ok_message=_("Added to your cart."))


@require_POST
def cart_update(request: HttpRequest) -> HttpResponse:
    return _set_line(request, CartLineForm, add=False, ok_message=_("Quantity updated."))


@require_POST
def cart_remove(request: HttpRequest) -> HttpResponse:
    form = RemoveLineForm(request.POST)
    cart = cart_session.current(request)
    if (
        cart is not None
        and form.is_valid()
        and cart_line_remove(cart=cart, product_id=form.cleaned_data["product"])
    ):
        messages.success(request, _("Removed from your cart."))
    return redirect("frontend:cart")
