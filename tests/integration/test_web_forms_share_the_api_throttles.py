"""The web login, sign-up and password-reset forms are limited like their API twins, and a
sign-up with a taken address reveals nothing about it."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.clients import web_client
from tests.factories.market import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def _login_throttle(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "login": "3/min",
        },
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def _form_throttles(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "signup": "2/hour",
            "password_reset": "2/hour",
        },
    }
    cache.clear()
    yield
    cache.clear()


def test_web_login_is_throttled_like_the_api_login(_login_throttle):
    user = UserFactory(email="chu@htx.vn")
    client = web_client()
    url = reverse("frontend:login")
    wrong = [
        client.post(url, {"username": "chu@htx.vn", "password": f"sai-{i}"}).status_code
        for i in range(3)
    ]

    response = client.post(url, {"username": "chu@htx.vn", "password": "mat-khau-123"})

    assert wrong == [200, 200, 200]
    assert response.status_code == 429
    assert "Bạn đã thử quá nhiều lần. Hãy đợi vài phút rồi thử lại." in response.content.decode()
    assert "_auth_user_id" not in client.session
    user.refresh_from_db()
    assert user.last_login is None


def test_web_login_under_the_limit_still_signs_in(_login_throttle):
    UserFactory(email="chu@htx.vn")
    client = web_client()

    response = client.post(
        reverse("frontend:login"), {"username": "chu@htx.vn", "password": "mat-khau-123"}
    )

    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_successful_web_logins_do_not_use_up_the_limit(_login_throttle):
    UserFactory(email="chu@htx.vn")
    codes = []

    for _ in range(5):
        client = web_client()
        codes.append(
            client.post(
                reverse("frontend:login"), {"username": "chu@htx.vn", "password": "mat-khau-123"}
            ).status_code
        )

    assert codes == [302] * 5


def test_web_signup_is_throttled_like_the_api_signup(_form_throttles):
    from market.models import User

    url = reverse("frontend:signup")
    codes = [  # a new client each time (a successful sign-up signs in), the same address
        web_client()
        .post(url, {"email": f"moi{i}@htx.vn", "password": "mat-khau-dai-123"})
        .status_code
        for i in range(3)
    ]

    assert codes == [302, 302, 429]
    assert sorted(User.objects.values_list("email", flat=True)) == ["moi0@htx.vn", "moi1@htx.vn"]


def test_web_password_reset_is_throttled_like_the_api_reset(
    _form_throttles, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(email="chu@htx.vn")
    client = web_client()
    url = reverse("frontend:password_reset")
    with django_capture_on_commit_callbacks(execute=True):
        codes = [client.post(url, {"email": "chu@htx.vn"}).status_code for _ in range(3)]

    assert codes == [302, 302, 429]
    assert len(mailoutbox) == 2


def test_a_forged_x_forwarded_for_does_not_reset_the_login_limit(_login_throttle, api_client):
    UserFactory(email="chu@htx.vn")
    web = web_client()
    for i in range(3):
        web.post(
            reverse("frontend:login"),
            {"username": "chu@htx.vn", "password": f"sai-{i}"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        )

    for i in range(10):  # the API's rate is bound when DRF is imported (10/min), not by the fixture
        api_client.post(
            "/api/v1/auth/login/",
            {"email": "chu@htx.vn", "password": f"sai-{i}"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{i}",
        )

    web_answer = web.post(
        reverse("frontend:login"),
        {"username": "chu@htx.vn", "password": "mat-khau-123"},
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    api_answer = api_client.post(
        "/api/v1/auth/login/",
        {"email": "chu@htx.vn", "password": "mat-khau-123"},
        format="json",
        HTTP_X_FORWARDED_FOR="198.51.100.8",
    )

    assert web_answer.status_code == 429
    assert api_answer.status_code == 429
    assert "_auth_user_id" not in web.session


def test_web_signup_with_a_taken_address_says_nothing_about_it_and_changes_nothing(
    _form_throttles, mailoutbox
):
    # Issue #16: a new account is signed in at once, so a taken address (with another password)
    # cannot be answered identically; it gets the generic "if this address is new" answer, the
    # owner is mailed, and nothing about the existing account changes.
    from market.models import User

    owner = UserFactory(email="da-co@htx.vn", full_name="Chủ cũ")

    response = web_client().post(
        reverse("frontend:signup"),
        {"email": "da-co@htx.vn", "full_name": "Kẻ lạ", "password": "mat-khau-dai-123"},
        follow=True,
    )

    html = response.content.decode()
    owner.refresh_from_db()
    assert not response.wsgi_request.user.is_authenticated
    assert "đã được đăng ký" not in html and "already" not in html
    assert [str(m) for m in response.context["messages"]] == [
        "Cảm ơn bạn! Nếu địa chỉ này chưa đăng ký, tài khoản của bạn đã sẵn sàng: hãy "
        "đăng nhập. Chúng tôi cũng đã gửi email cho bạn."
    ]
    assert (owner.full_name, User.objects.filter(email="da-co@htx.vn").count()) == ("Chủ cũ", 1)
    assert owner.check_password("mat-khau-123")
