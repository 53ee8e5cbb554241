"""Account API: sign-up, login (token + optional session), logout, me, password reset, language.

Throttled with the scopes in settings (`login`, `signup`, `password_reset`).
"""

from django.conf import settings
from django.contrib.auth import login as session_login
from django.contrib.auth import logout as session_logout
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from market.accounts import services as accounts
from market.accounts.throttles import LiveScopedRateThrottle
from market.api.permissions import SignedInApiRequest
from market.models import BuyerProfile, User

ERROR = inline_serializer(
    "Error",
    {
        "code": serializers.CharField(),
        "message": serializers.CharField(),
        "fields": serializers.DictField(),
    },
)
DETAIL = inline_serializer("Detail", {"detail": serializers.CharField()})


class _Throttled(APIView):
    throttle_classes = [LiveScopedRateThrottle]
    permission_classes = [AllowAny]
    # No session auth on anonymous entry points: a stale session cookie must not demand CSRF.
    authentication_classes: list = []


class UserOutput(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    phone = serializers.CharField()
    language = serializers.CharField()
    is_platform_admin = serializers.BooleanField()
    email_verified = serializers.SerializerMethodField()
    buyer_kind = serializers.SerializerMethodField()
    cooperative_ids = serializers.SerializerMethodField()

    def get_email_verified(self, user: User) -> bool:
        return user.email_verified_at is not None

    def get_buyer_kind(self, user: User) -> str | None:
        profile = BuyerProfile.objects.filter(user=user).first()
        return profile.kind if profile else None

    def get_cooperative_ids(self, user: User) -> list[int]:
        return list(
            user.memberships.order_by("cooperative_id").values_list("cooperative_id", flat=True)
        )


class SignupApi(_Throttled):
    throttle_scope = "signup"

    class Input(serializers.Serializer):
        email = serializers.CharField(max_length=254)
        password = serializers.CharField(max_length=128, trim_whitespace=False)
        full_name = serializers.CharField(
            max_length=150, required=False, default="", allow_blank=True
        )
        language = serializers.CharField(max_length=5, required=False, default="vi")
        kind = serializers.CharField(
            max_length=10, required=False, default=BuyerProfile.Kind.PERSON
        )
        company_name = serializers.CharField(
            max_length=255, required=False, default="", allow_blank=True
        )
        tax_code = serializers.CharField(
            max_length=32, required=False, default="", allow_blank=True
        )
        country = serializers.CharField(max_length=2, required=False, default="VN")

    @extend_schema(request=Input, responses={202: DETAIL, 400: ERROR}, summary="Sign up as a buyer")
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        accounts.user_signup(**data.validated_data)
        # The same answer whether the e-mail was new or taken: no account enumeration.
        return Response({"detail": _("Check your e-mail inbox to continue.")}, status=202)


class LoginApi(_Throttled):
    throttle_scope = "login"
    authentication_classes = []

    class Input(serializers.Serializer):
        email = serializers.CharField(max_length=254)
        password = serializers.CharField(max_length=128, trim_whitespace=False)
        session = serializers.BooleanField(required=False, default=False)

    class Output(serializers.Serializer):
        token = serializers.CharField()
        user = UserOutput()

    @extend_schema(
        request=Input,
        responses={200: Output, 400: ERROR},
        summary="Log in (API token, optional session)",
    )
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        user = accounts.user_login(
            request=request,
            email=data.validated_data["email"],
            password=data.validated_data["password"],
        )
        if data.validated_data["session"]:
            # A session is a cookie the browser sends by itself: require the CSRF token, or a
            # third-party page could sign a visitor into the attacker's account (login CSRF).
            SessionAuthentication().enforce_csrf(request)
            session_login(request._request, user)
        return Response(self.Output({"token": accounts.user_token(user=user), "user": user}).data)


class LoginNoSlashApi(LoginApi):
    """`auth/login` without the slash: API clients often POST there, and APPEND_SLASH cannot
    redirect a POST. The same view, left out of the schema (the documented path has the slash)."""

    schema = None


class LogoutApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None, responses={204: None}, summary="Log out (revoke token, end session)"
    )
    def post(self, request: SignedInApiRequest) -> Response:
        accounts.user_logout(user=request.user)
        session_logout(request._request)
        return Response(status=204)


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    class Input(serializers.Serializer):
        full_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
        phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
        language = serializers.CharField(max_length=5, required=False)

    @extend_schema(responses={200: UserOutput}, summary="The signed-in user")
    def get(self, request: SignedInApiRequest) -> Response:
        return Response(UserOutput(request.user).data)

    @extend_schema(
        request=Input,
        responses={200: UserOutput, 400: ERROR},
        summary="Change my name, phone or language",
    )
    def patch(self, request: SignedInApiRequest) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        user = accounts.user_update(user=request.user, **data.validated_data)
        return Response(UserOutput(user).data)


class LanguageApi(APIView):
    """Anyone may choose a language (cookie); a signed-in user's choice is also stored on the account."""

    permission_classes = [AllowAny]

    class Input(serializers.Serializer):
        language = serializers.CharField(max_length=5)

    class Output(serializers.Serializer):
        language = serializers.CharField()

    @extend_schema(
        request=Input, responses={200: Output, 400: ERROR}, summary="Choose the interface language"
    )
    def post(self, request: Request) -> HttpResponseBase:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        language = accounts.user_set_language(
            user=request.user, language=data.validated_data["language"]
        )
        response = Response({"language": language})
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax"
        )
        return response


class PasswordResetApi(_Throttled):
    throttle_scope = "password_reset"

    class Input(serializers.Serializer):
        email = serializers.CharField(max_length=254)

    @extend_schema(
        request=Input, responses={202: DETAIL}, summary="Ask for a password reset e-mail"
    )
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        accounts.password_reset_request(email=data.validated_data["email"])
        return Response(
            {"detail": _("If an account uses this address, we sent it a reset link.")}, status=202
        )


class PasswordResetConfirmApi(_Throttled):
    throttle_scope = "password_reset"

    class Input(serializers.Serializer):
        uid = serializers.CharField(max_length=64)
        token = serializers.CharField(max_length=128)
        new_password = serializers.CharField(max_length=128, trim_whitespace=False)

    @extend_schema(
        request=Input,
        responses={200: DETAIL, 400: ERROR},
        summary="Set a new password from a reset link",
    )
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        accounts.password_reset_confirm(**data.validated_data)
        return Response({"detail": _("Your password was changed. You can sign in now.")})


class EmailVerifyApi(_Throttled):
    """Confirm an e-mail address from the mailed link (checkout above a set value needs it)."""

    throttle_scope = "password_reset"

    class Input(serializers.Serializer):
        token = serializers.CharField(max_length=512)

    @extend_schema(
        request=Input, responses={200: DETAIL, 400: ERROR}, summary="Confirm an e-mail address"
    )
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        accounts.user_email_verify(token=data.validated_data["token"])
        return Response({"detail": _("Your e-mail address is confirmed.")})


class EmailVerifySendApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [LiveScopedRateThrottle]
    throttle_scope = "password_reset"

    @extend_schema(
        request=None, responses={202: DETAIL}, summary="Mail me a link to confirm my e-mail"
    )
    def post(self, request: SignedInApiRequest) -> Response:
        accounts.email_verification_send(user=request.user)
        return Response({"detail": _("We sent you a confirmation link.")}, status=202)


def name_nested_serializers(namespace: dict) -> None:
    """Give each view's nested `Input`/`Output` serializer a unique OpenAPI component name
    (`SignupInput`, `LoginOutput`…): otherwise every `Input` collides in the schema."""
    for view_name, view in list(namespace.items()):
        if not (isinstance(view, type) and issubclass(view, APIView) and view_name.endswith("Api")):
            continue
        for nested in ("Input", "Output"):
            serializer = view.__dict__.get(nested)
            if serializer is not None:
                serializer.Meta = type("Meta", (), {"ref_name": view_name[:-3] + nested})


name_nested_serializers(globals())
