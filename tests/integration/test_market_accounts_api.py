import re
import threading
import time

import pytest
from django.core.cache import cache
from django.core.mail.backends import locmem
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from market.models import BuyerProfile, User
from tests.factories import market as f

pytestmark = pytest.mark.django_db
API = "/api/v1/auth"
SIGNUP_BODY = {"detail": "Check your e-mail inbox to continue."}


@pytest.fixture(autouse=True)
def _fresh(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LANGUAGE_CODE = "en"
    cache.clear()  # throttle counters live in the cache


@pytest.fixture
def api():
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


def signup(api, **extra):
    data = {
        "email": "lan@example.vn",
        "password": "Ca-phe-sua-da-9",
        "full_name": "Nguyễn Thị Lan",
        **extra,
    }
    with_commit = api.post(f"{API}/signup/", data, format="json")
    return with_commit


def test_signup_person(api, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = signup(api)

    user = User.objects.get()
    assert (response.status_code, response.json()) == (202, SIGNUP_BODY)
    assert (user.email, user.full_name, user.language, user.check_password("Ca-phe-sua-da-9")) == (
        "lan@example.vn",
        "Nguyễn Thị Lan",
        "vi",
        True,
    )
    assert (user.buyer_profile.kind, user.buyer_profile.country) == ("PERSON", "VN")
    assert [m.to for m in mailoutbox] == [["lan@example.vn"]]
    assert mailoutbox[0].subject == "Chào mừng bạn đến với HTX Market"


def test_signup_company(api):
    response = signup(
        api,
        kind="COMPANY",
        company_name="Hamburg Spice Import GmbH",
        tax_code="DE123456789",
        country="de",
        language="en",
    )

    profile = BuyerProfile.objects.get()
    assert response.status_code == 202
    assert (profile.kind, profile.company_name, profile.tax_code, profile.country) == (
        "COMPANY",
        "Hamburg Spice Import GmbH",
        "DE123456789",
        "DE",
    )


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"kind": "COMPANY", "tax_code": "0100109106"}, "company_name"),
        ({"kind": "COMPANY", "company_name": "Cty TNHH A", "tax_code": "0100109107"}, "tax_code"),
        ({"password": "12345678"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"language": "fr"}, "language"),
        ({"kind": "ROBOT"}, "kind"),
    ],
)
def test_signup_bad_input_creates_nothing(api, extra, field):
    response = signup(api, **extra)

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert User.objects.count() == 0


def test_signup_with_existing_email_answers_the_same_and_mails_owner(
    api, mailoutbox, django_capture_on_commit_callbacks
):
    owner = f.UserFactory(email="lan@example.vn", language="en")

    with django_capture_on_commit_callbacks(execute=True):
        response = signup(api, email="LAN@example.vn", password="Other-pass-77")

    assert (response.status_code, response.json()) == (202, SIGNUP_BODY)
    assert User.objects.count() == 1
    owner.refresh_from_db()
    assert owner.check_password("mat-khau-123")
    assert [m.to for m in mailoutbox] == [["lan@example.vn"]]
    assert mailoutbox[0].subject == "Someone tried to sign up with your e-mail address"


def test_login_returns_token_and_user(api):
    user = f.UserFactory(email="an@example.vn")

    response = api.post(
        f"{API}/login/", {"email": " AN@example.vn ", "password": "mat-khau-123"}, format="json"
    )

    body = response.json()
    assert response.status_code == 200
    assert body["token"] == Token.objects.get(user=user).key
    assert (body["user"]["email"], body["user"]["is_platform_admin"]) == ("an@example.vn", False)
    me = APIClient(HTTP_AUTHORIZATION=f"Token {body['token']}").get(f"{API}/me/")
    assert me.json()["id"] == user.pk


def test_session_login_for_web(client):
    f.UserFactory(email="an@example.vn")

    response = client.post(
        f"{API}/login/",
        {"email": "an@example.vn", "password": "mat-khau-123", "session": True},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert client.get(f"{API}/me/").json()["email"] == "an@example.vn"


def test_login_same_error_for_unknown_email_and_wrong_password(api):
    f.UserFactory(email="an@example.vn")
    f.UserFactory(email="off@example.vn", is_active=False)

    unknown = api.post(
        f"{API}/login/", {"email": "nobody@example.vn", "password": "mat-khau-123"}, format="json"
    )
    wrong = api.post(
        f"{API}/login/", {"email": "an@example.vn", "password": "sai-mat-khau"}, format="json"
    )
    inactive = api.post(
        f"{API}/login/", {"email": "off@example.vn", "password": "mat-khau-123"}, format="json"
    )

    assert unknown.status_code == wrong.status_code == inactive.status_code == 400
    assert (
        unknown.json()
        == wrong.json()
        == inactive.json()
        == {
            "code": "invalid_credentials",
            "message": "The e-mail address or the password is wrong.",
            "fields": {},
        }
    )
    assert Token.objects.count() == 0


def test_login_throttled_after_ten_attempts_per_minute(api):
    f.UserFactory(email="an@example.vn")
    for _ in range(10):
        assert (
            api.post(
                f"{API}/login/", {"email": "an@example.vn", "password": "x"}, format="json"
            ).status_code
            == 400
        )

    response = api.post(
        f"{API}/login/", {"email": "an@example.vn", "password": "mat-khau-123"}, format="json"
    )

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert Token.objects.count() == 0


def test_logout_revokes_token(api):
    user = f.UserFactory()
    token = Token.objects.create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = api.post(f"{API}/logout/")

    assert response.status_code == 204
    assert Token.objects.count() == 0
    assert api.get(f"{API}/me/").status_code == 401


def test_me_update_and_language(api):
    user = f.UserFactory()
    api.force_authenticate(user)

    patched = api.patch(
        f"{API}/me/", {"phone": "+84 912 345 678", "full_name": "Trần Văn Bình"}, format="json"
    )
    bad = api.patch(f"{API}/me/", {"phone": "123"}, format="json")
    language = api.post(f"{API}/language/", {"language": "en"}, format="json")

    user.refresh_from_db()
    assert patched.status_code == 200
    assert bad.json()["code"] == "invalid_phone"
    assert (user.phone, user.full_name, user.language) == ("0912345678", "Trần Văn Bình", "en")
    assert language.cookies["django_language"].value == "en"


def test_anonymous_language_choice_sets_cookie_only(api):
    response = api.post(f"{API}/language/", {"language": "vi"}, format="json")

    assert (response.status_code, response.json()) == (200, {"language": "vi"})
    assert api.post(f"{API}/language/", {"language": "xx"}, format="json").status_code == 400


def test_password_reset_same_answer_for_known_and_unknown(
    api, mailoutbox, django_capture_on_commit_callbacks
):
    f.UserFactory(email="an@example.vn", language="en")

    with django_capture_on_commit_callbacks(execute=True):
        known = api.post(f"{API}/password-reset/", {"email": "an@example.vn"}, format="json")
        unknown = api.post(f"{API}/password-reset/", {"email": "nobody@example.vn"}, format="json")

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert [m.to for m in mailoutbox] == [["an@example.vn"]]
    assert mailoutbox[0].subject == "Reset your HTX Market password"


def test_password_reset_confirm_sets_password_once(
    api, mailoutbox, django_capture_on_commit_callbacks
):
    user = f.UserFactory(email="an@example.vn")
    Token.objects.create(user=user)
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"{API}/password-reset/", {"email": "an@example.vn"}, format="json")
    uid, token = re.search(r"/password-reset/([^/]+)/([^/]+)/", mailoutbox[0].body).groups()

    first = api.post(
        f"{API}/password-reset/confirm/",
        {"uid": uid, "token": token, "new_password": "Mat-khau-moi-42"},
        format="json",
    )
    second = api.post(
        f"{API}/password-reset/confirm/",
        {"uid": uid, "token": token, "new_password": "Lan-nua-99x"},
        format="json",
    )

    user.refresh_from_db()
    assert first.status_code == 200
    assert user.check_password("Mat-khau-moi-42")
    assert (second.status_code, second.json()["code"]) == (400, "invalid_reset_link")
    assert Token.objects.count() == 0
    assert "Đặt lại mật khẩu" in mailoutbox[0].subject


@pytest.mark.parametrize("uid, token", [("xx", "bad"), ("", ""), ("MQ", "abc-123")])
def test_password_reset_confirm_bad_link(api, uid, token):
    user = f.UserFactory()

    response = api.post(
        f"{API}/password-reset/confirm/",
        {"uid": uid or "x", "token": token or "x", "new_password": "Mat-khau-moi-42"},
        format="json",
    )

    user.refresh_from_db()
    assert response.json()["code"] == "invalid_reset_link"
    assert user.check_password("mat-khau-123")


def test_password_reset_throttled(api):
    for _ in range(5):
        assert (
            api.post(f"{API}/password-reset/", {"email": "x@example.vn"}, format="json").status_code
            == 202
        )

    assert (
        api.post(f"{API}/password-reset/", {"email": "x@example.vn"}, format="json").status_code
        == 429
    )


def test_session_login_requires_csrf_token():
    from django.test import Client

    f.UserFactory(email="an@example.vn")
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(
        f"{API}/login/",
        {"email": "an@example.vn", "password": "mat-khau-123", "session": True},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert "_auth_user_id" not in browser.session
    assert Token.objects.count() == 0


def test_token_login_needs_no_csrf_token():
    from django.test import Client

    f.UserFactory(email="an@example.vn")

    response = Client(enforce_csrf_checks=True).post(
        f"{API}/login/",
        {"email": "an@example.vn", "password": "mat-khau-123"},
        content_type="application/json",
    )

    assert response.status_code == 200


# A stand-in for a slow SMTP server (the process boundary we cannot reach in tests): it holds every
# send until the test releases it, then stores the mail like the locmem backend.
SMTP_RELEASED = threading.Event()


class SlowSmtpBackend(locmem.EmailBackend):
    def send_messages(self, messages):
        SMTP_RELEASED.wait(5)
        return super().send_messages(messages)


def _queued_mails():
    from market.models import BackgroundTask

    return list(BackgroundTask.objects.filter(name="market.send_mails").order_by("created_at"))


def _broker_down(settings):
    # A broker is configured (production shape) but nothing listens there: the request must
    # neither wait for SMTP nor for the broker; the mail is kept as a QUEUED task row.
    from tests.celery_worker import use_broker

    use_broker(settings, "redis://127.0.0.1:1/0", "test-accounts")


@pytest.mark.parametrize(
    "path, email", [("password-reset/", "an@example.vn"), ("signup/", "an@example.vn")]
)
def test_account_mails_leave_as_background_tasks_after_the_answer(
    path, email, api, mailoutbox, settings, django_capture_on_commit_callbacks
):
    from market.background import run_here

    _broker_down(settings)
    settings.EMAIL_BACKEND = f"{__name__}.SlowSmtpBackend"
    SMTP_RELEASED.clear()
    f.UserFactory(email="an@example.vn", language="en")
    body = {"email": email, "password": "Ca-phe-sua-da-9"}

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        known = api.post(f"{API}/{path}", body, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        unknown = api.post(f"{API}/{path}", {**body, "email": "nobody@example.vn"}, format="json")
    elapsed = time.monotonic() - started

    assert known.status_code == 202
    assert (unknown.status_code, unknown.json()) == (202, known.json())
    assert elapsed < 2  # the SMTP server holds a send 5 s: the answers did not wait for it
    assert mailoutbox == []
    queued = _queued_mails()  # kept for the worker, none sent in the request
    (task,) = [t for t in queued if t.kwargs["messages"][0]["to"] == ["an@example.vn"]]
    assert task.status == "QUEUED"
    # the unknown address gets nothing from a reset; a sign-up makes its account: a welcome mail
    assert len(queued) == (2 if path == "signup/" else 1)

    SMTP_RELEASED.set()
    assert run_here(task.name, task.pk, task.kwargs)  # what the worker does with it
    assert [m.to for m in mailoutbox] == [["an@example.vn"]]


def test_password_reset_mail_is_not_sent_when_the_transaction_rolls_back(mailoutbox):
    from django.db import transaction

    from market.accounts import services as accounts

    f.UserFactory(email="an@example.vn")

    with pytest.raises(RuntimeError), transaction.atomic():
        accounts.password_reset_request(email="an@example.vn")
        raise RuntimeError("rolled back")

    assert mailoutbox == []


def test_web_password_reset_mail_leaves_as_a_background_task_after_the_answer(
    client, mailoutbox, settings, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from market.background import run_here

    _broker_down(settings)
    settings.EMAIL_BACKEND = f"{__name__}.SlowSmtpBackend"
    SMTP_RELEASED.clear()
    f.UserFactory(email="an@example.vn", language="en")

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(reverse("frontend:password_reset"), {"email": "an@example.vn"})
    with django_capture_on_commit_callbacks(execute=True):
        unknown = client.post(reverse("frontend:password_reset"), {"email": "nobody@example.vn"})
    elapsed = time.monotonic() - started

    assert (
        (known.status_code, known["Location"])
        == (unknown.status_code, unknown["Location"])
        == (302, reverse("frontend:password_reset_done"))
    )
    assert elapsed < 2
    assert mailoutbox == []
    (task,) = _queued_mails()
    SMTP_RELEASED.set()
    assert run_here(task.name, task.pk, task.kwargs)
    assert [m.to for m in mailoutbox] == [["an@example.vn"]]
    assert re.search(r"http://testserver/password-reset/[^/]+/[^/]+/\n", mailoutbox[0].body)
