"""Public buyer pages through the Django test client: they render, in Vietnamese by default,
and the no-JS cart path works with plain form posts."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from orders.models import Cart, CartLine
from tests.factories.catalog import ProductFactory
from tests.factories.market import CooperativeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _restore_language():
    """Requests made in English leave English active in this thread: give later tests the default."""
    yield
    from django.utils import translation

    translation.deactivate()


def test_home_lists_verified_cooperatives_only_in_vietnamese():
    verified = CooperativeFactory(verified=True, trading_name="HTX Đã Duyệt")
    CooperativeFactory(trading_name="HTX Chưa Duyệt")

    response = Client().get(reverse("frontend:home"))

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="vi">' in html
    assert verified.display_name in html
    assert "HTX Chưa Duyệt" not in html


def test_english_is_one_form_post_away():
    client = Client()

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)

    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()


def test_unverified_cooperative_profile_is_404():
    coop = CooperativeFactory(status="SUBMITTED")

    response = Client().get(reverse("frontend:coop_profile", args=[coop.slug]))

    assert response.status_code == 404


def test_product_page_shows_price_in_vnd_and_moq():
    product = ProductFactory(price_vnd=1_234_567, min_order_qty=Decimal("5"))

    response = Client().get(reverse("frontend:product", args=[product.pk, product.slug]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "1.234.567\xa0₫" in html
    assert 'min="5"' in html


def test_product_of_unverified_cooperative_is_404():
    product = ProductFactory(cooperative=CooperativeFactory(status="SUBMITTED"))

    response = Client().get(reverse("frontend:product", args=[product.pk, product.slug]))

    assert response.status_code == 404


def test_guest_adds_to_cart_without_js_and_sees_the_line():
    product = ProductFactory(price_vnd=100_000)
    client = Client()

    response = client.post(
        reverse("frontend:cart_add"), {"product": product.pk, "quantity": "3"}, follow=True
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "300.000\xa0₫" in html
    assert CartLine.objects.get().quantity == Decimal("3")


def test_add_below_minimum_order_shows_error_and_changes_nothing():
    product = ProductFactory(min_order_qty=Decimal("10"))
    client = Client()

    response = client.post(
        reverse("frontend:cart_add"), {"product": product.pk, "quantity": "2"}, follow=True
    )

    assert response.status_code == 200
    assert CartLine.objects.count() == 0
    assert 'class="error"' in response.content.decode()


def test_add_with_garbage_quantity_is_rejected_without_500():
    product = ProductFactory()

    response = Client().post(
        reverse("frontend:cart_add"), {"product": product.pk, "quantity": "abc"}, follow=True
    )

    assert response.status_code == 200
    assert CartLine.objects.count() == 0


def test_guest_cart_is_merged_at_login():
    product = ProductFactory()
    user = UserFactory(email="lan@example.vn")
    client = Client()
    client.post(reverse("frontend:cart_add"), {"product": product.pk, "quantity": "2"})

    response = client.post(
        reverse("frontend:login"), {"username": "lan@example.vn", "password": "mat-khau-123"}
    )

    assert response.status_code == 302
    cart = Cart.objects.get()
    assert cart.user == user
    assert [(ln.product_id, ln.quantity) for ln in cart.lines.all()] == [(product.pk, Decimal("2"))]


def test_signup_creates_account_and_signs_in():
    from market.models import User

    client = Client()

    response = client.post(
        reverse("frontend:signup"),
        {
            "email": "moi@example.vn",
            "full_name": "Trần Văn Mới",
            "password": "Hat-Dieu-2026",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("frontend:home")
    user = User.objects.get(email="moi@example.vn")
    assert user.full_name == "Trần Văn Mới"
    assert client.get(reverse("frontend:order_list")).wsgi_request.user == user  # signed in


def test_signup_with_too_short_password_creates_nobody():
    from market.models import User

    before = User.objects.count()

    response = Client().post(
        reverse("frontend:signup"), {"email": "moi@example.vn", "password": "123"}
    )

    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert User.objects.count() == before


def test_forms_carry_csrf_tokens():
    product = ProductFactory()

    html = (
        Client().get(reverse("frontend:product", args=[product.pk, product.slug])).content.decode()
    )

    assert html.count('name="csrfmiddlewaretoken"') == html.count(
        '<form method="post"'
    ) + html.count('<form class="lang"')


def _header(html: str) -> str:
    """The page's site header, each CSRF token in it unmasked (every rendering masks the
    visitor's secret anew)."""
    import re

    from django.middleware.csrf import _unmask_cipher_token

    header = html[html.index('<header class="site">') : html.index("</header>") + len("</header>")]
    return re.sub(
        r'value="([A-Za-z0-9]{64})"', lambda m: f'value="{_unmask_cipher_token(m[1])}"', header
    )


def _header_rendered_afresh(response) -> str:
    """The header as the template renders it for this response's request (not kept)."""
    from django.template.loader import render_to_string
    from django.utils import translation

    from frontend.context_processors import _CartLines

    request = response.wsgi_request
    with translation.override(request.LANGUAGE_CODE):
        return _header(
            render_to_string(
                "frontend/partials/site_header.html",
                {"cart_lines": _CartLines(request), "LANG": request.LANGUAGE_CODE},
                request=request,
            )
        )


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_guests_header_is_kept_per_language_with_their_own_token_and_path(language):
    # given two guests in one language (the header is kept after the first page)
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    for client in (first, second):
        client.cookies["django_language"] = language
    path = "/tim-kiem/?q=%3Cb%3E%22x%27&sort=newest"  # q = <b>"x'

    # when each asks for pages
    pages = [client.get(path) for client in (first, second, first)]
    home = second.get("/")

    # then each header is what the template renders for that request: their own CSRF token,
    # their path (escaped) to come back to, the language's words
    for page in [*pages, home]:
        assert _header(page.content.decode()) == _header_rendered_afresh(page)
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value
    assert 'value="/tim-kiem/?q=%3Cb%3E%22x%27&amp;sort=newest"' in _header(
        pages[1].content.decode()
    )
    assert ("Đăng nhập" if language == "vi" else "Log in") in _header(home.content.decode())
    # and the language form works with the token the kept header carries
    html = pages[1].content.decode()
    token = html.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    switched = second.post(
        "/i18n/setlang/",
        {"language": "vi" if language == "en" else "en", "next": "/"},
        HTTP_X_CSRFTOKEN=token,
    )
    assert switched.status_code == 302


def test_a_guest_with_cart_lines_and_a_signed_in_buyer_see_their_own_header():
    # given a guest who put a product in the cart, and a signed-in buyer
    product = ProductFactory(stock_qty=Decimal("10"))
    guest, buyer = Client(), Client()
    buyer.force_login(UserFactory())
    guest.get("/")  # a kept guest header exists
    guest.post(reverse("frontend:cart_add"), {"product": product.pk, "quantity": "3"})

    # when they open a page
    pages = {"guest": guest.get("/"), "buyer": buyer.get("/")}

    # then the guest's header counts the line, the buyer's has their menu
    guest_header, buyer_header = (_header(p.content.decode()) for p in pages.values())
    assert '<span class="count">1</span>' in guest_header
    assert "Đăng xuất" in buyer_header and "Đăng nhập" not in buyer_header
    for page in pages.values():
        assert _header(page.content.decode()) == _header_rendered_afresh(page)
