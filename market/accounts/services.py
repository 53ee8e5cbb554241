"""Account services: sign-up, login, logout, password reset, language preference.

No account enumeration: sign-up with a known e-mail answers like a new one (the owner gets an
e-mail instead), login gives one error for an unknown e-mail and a wrong password (the backend
hashes even for a missing user), and a reset request answers the same whether or not the address
has an account. Mails go out after commit, in the recipient's language, as background tasks
(`market.shared.mail.mail_queue`, sent by a Celery worker in production): an SMTP round-trip only for
existing accounts would otherwise show in the response time.
"""

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.encoding import force_bytes, force_str
from django.utils.functional import Promise as StrPromise
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from market.cooperatives.selectors import Viewer
from market.errors import DomainError, ValidationFailed
from market.models import BuyerProfile, User
from market.reference import validators
from market.shared.mail import mail_queue

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    status = 400


class InvalidResetLink(DomainError):
    code = "invalid_reset_link"
    status = 400


class InvalidVerificationLink(DomainError):
    code = "invalid_verification_link"
    status = 400


VERIFY_SALT = "market.email-verification"
VERIFY_MAX_AGE = 7 * 24 * 3600


def _normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _check_language(language: str) -> str:
    if language not in LANGUAGE_CODES:
        message = _("Choose Vietnamese (vi) or English (en).")
        raise ValidationFailed(message, fields={"language": [message]}, code="invalid_language")
    return language


def _name(value: str, field: str) -> str:
    try:
        return validators.single_line(value, field=field, required=False)
    except validators.InvalidField as exc:
        raise ValidationFailed(fields=exc.fields, code=exc.code) from exc


def _check_password(password: str, user: User | None = None) -> None:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            fields={"password": list(exc.messages)}, code="weak_password"
        ) from exc


def _clean_buyer(kind: str, company_name: str, tax_code: str, country: str) -> dict[str, Any]:
    if kind not in BuyerProfile.Kind.values:
        raise ValidationFailed(
            fields={"kind": [_("Choose PERSON or COMPANY.")]}, code="invalid_buyer_kind"
        )
    country = (country or "VN").strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise ValidationFailed(
            fields={"country": [_("Use a two-letter country code, e.g. VN or DE.")]},
            code="invalid_country",
        )
    if kind == BuyerProfile.Kind.PERSON:
        return {"kind": kind, "country": country}
    errors = {}
    if not (company_name or "").strip():
        errors["company_name"] = [_("A company needs a name.")]
    else:
        try:
            company_name = validators.single_line(company_name, field="company_name")
        except validators.InvalidField as exc:
            errors.update(exc.fields)
    if not (tax_code or "").strip():
        errors["tax_code"] = [_("A company needs a tax code.")]
    elif country == "VN":  # foreign tax numbers have many formats; Vietnamese ones we can check
        try:
            tax_code = validators.tax_code(tax_code)
        except validators.InvalidField as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed(fields=errors)
    return {
        "kind": kind,
        "country": country,
        "company_name": company_name.strip(),
        "tax_code": tax_code.strip(),
    }


def user_signup(
    *,
    email: str,
    password: str,
    full_name: str = "",
    language: str = "vi",
    kind: str = BuyerProfile.Kind.PERSON,
    company_name: str = "",
    tax_code: str = "",
    country: str = "VN",
) -> None:
    """Create a buyer account, or, if the e-mail is taken, e-mail its owner instead. Returns
    nothing on purpose: the caller must answer both cases the same way.

    Raises ValidationFailed for bad input (checked before looking the e-mail up)."""
    email = _normalise_email(email)
    try:
        validators.email(email)
    except validators.InvalidField as exc:
        raise ValidationFailed(fields=exc.fields, code=exc.code) from exc
    language = _check_language(language)
    full_name = _name(full_name, "full_name")
    profile = _clean_buyer(kind, company_name, tax_code, country)
    _check_password(password, User(email=email, full_name=full_name))
    with transaction.atomic():
        if User.objects.filter(email=email).exists():
            make_password(password)  # same work as the new-account path: timing tells nothing
            _mail_signup_attempt(User.objects.get(email=email))
            return
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email=email, password=password, full_name=full_name.strip(), language=language
                )
        except IntegrityError:  # a concurrent sign-up with the same e-mail won the race
            return
        BuyerProfile.objects.create(user=user, **profile)
        _mail_welcome(user)


def user_login(*, request: HttpRequest | None, email: str, password: str) -> User:
    """Check e-mail and password. One error for every failure (unknown, wrong, inactive)."""
    user = authenticate(request, email=_normalise_email(email), password=password or "")
    if not isinstance(user, User):  # None: unknown, wrong or inactive
        raise InvalidCredentials(_("The e-mail address or the password is wrong."))
    return user


def user_token(*, user: User) -> str:
    token, _created = Token.objects.get_or_create(user=user)
    return str(token.key)


def user_logout(*, user: User) -> None:
    """Revoke the user's API token (sessions are flushed by the view)."""
    Token.objects.filter(user=user).delete()


@transaction.atomic
def user_update(
    *,
    user: User,
    full_name: str | None = None,
    phone: str | None = None,
    language: str | None = None,
) -> User:
    """Change the user's own name, phone or language. Raises ValidationFailed."""
    if full_name is not None:
        user.full_name = _name(full_name, "full_name")[:150]
    if phone is not None:
        user.phone = validators.phone(phone) if phone.strip() else ""
    if language is not None:
        user.language = _check_language(language)
    user.save(update_fields=["full_name", "phone", "language"])
    return user


def user_set_language(*, user: Viewer, language: str) -> str:
    """Validate a language choice and store it on the user when signed in."""
    language = _check_language(language)
    if user is not None and user.is_authenticated:
        user.language = language
        user.save(update_fields=["language"])
    return language


@transaction.atomic
def password_reset_request(*, email: str) -> None:
    """Queue a reset link if an active account uses `email`; silently nothing otherwise. Both
    branches do the same work in the request (one lookup, one token); the mail leaves after commit
    from a background thread, so the answer time does not depend on the mail server."""
    user = User.objects.filter(email=_normalise_email(email), is_active=True).first()
    if user is None or not user.has_usable_password():
        # Same HMAC work as a real reset; "!" is Django's unusable-password marker, not a secret.
        default_token_generator.make_token(User(pk=0, password="!", email=""))  # noqa: S106
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    with translation.override(user.language or "vi"):
        _mail(
            user,
            _("Reset your HTX Market password"),
            _(
                "Open this link to choose a new password (valid for a limited time):\n%(link)s\n\n"
                "If you did not ask for it, ignore this e-mail."
            )
            % {"link": f"{settings.SITE_URL}/password-reset/{uid}/{token}/"},
        )


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    """Set a new password from a reset link; the link then stops working (the token depends on
    the password hash). Raises InvalidResetLink, ValidationFailed (weak password)."""
    try:
        user = User.objects.get(pk=int(force_str(urlsafe_base64_decode(uid or ""))), is_active=True)
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        user = None
    if user is None or not default_token_generator.check_token(user, token or ""):
        raise InvalidResetLink(_("The reset link is invalid or has expired. Ask for a new one."))
    _check_password(new_password, user)
    user.set_password(new_password)
    user.email_verified_at = user.email_verified_at or timezone.now()  # the link proved the inbox
    user.save(update_fields=["password", "email_verified_at"])
    Token.objects.filter(user=user).delete()  # a stolen token dies with the old password
    return user


def email_verification_link(user: User) -> str:
    """A signed link (7 days) bound to the account and its current address."""
    token = signing.dumps({"u": user.pk, "e": user.email}, salt=VERIFY_SALT, compress=True)
    return f"{settings.SITE_URL}/verify-email/?{urlencode({'token': token})}"


def email_verification_send(*, user: User) -> None:
    """Mail the signed-in user a verification link (nothing when already verified)."""
    if user.email_verified_at:
        return
    with translation.override(user.language or "vi"):
        _mail(
            user,
            _("Confirm your e-mail address for HTX Market"),
            _("Open this link to confirm your e-mail address (valid for 7 days):\n%(link)s")
            % {"link": email_verification_link(user)},
        )


@transaction.atomic
def user_email_verify(*, token: str) -> User:
    """Mark the address of a verification link as verified (idempotent).
    Raises InvalidVerificationLink (forged, expired, or the account's address changed)."""
    try:
        data = signing.loads(token or "", salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
        user = User.objects.select_for_update().get(pk=int(data["u"]), is_active=True)
    except (signing.BadSignature, KeyError, TypeError, ValueError, User.DoesNotExist):
        user = None
    if user is None or user.email != data.get("e"):
        raise InvalidVerificationLink(
            _("The confirmation link is invalid or has expired. Ask for a new one.")
        )
    if not user.email_verified_at:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user


def _mail(user: User, subject: str | StrPromise, body: str | StrPromise) -> None:
    """Render in the user's language now (the worker has no active language) and queue."""
    mail_queue(to=[user.email], language=user.language or "vi", subject=subject, body=body)


def _mail_welcome(user: User) -> None:
    with translation.override(user.language):
        _mail(
            user,
            _("Welcome to HTX Market"),
            _("Your account is ready. Sign in at %(url)s/login/ with this e-mail address.")
            % {"url": settings.SITE_URL}
            + "\n\n"
            + _("Confirm your e-mail address (valid for 7 days):\n%(link)s")
            % {"link": email_verification_link(user)},
        )


def _mail_signup_attempt(user: User) -> None:
    with translation.override(user.language):
        _mail(
            user,
            _("Someone tried to sign up with your e-mail address"),
            _(
                "An account already uses this address. If this was you, sign in at %(url)s/login/ or reset "
                "your password at %(url)s/password-reset/. Otherwise you can ignore this e-mail."
            )
            % {"url": settings.SITE_URL},
        )
