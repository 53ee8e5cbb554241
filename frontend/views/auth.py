"""Sign in, sign up, sign out and password reset, on Django's auth views."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language

from frontend import cart_session
from frontend.forms import LoginForm, SignupForm, add_domain_errors
from market.accounts.services import user_set_language, user_signup
from market.accounts.throttles import ScopeThrottle
from market.errors import DomainError
from market.models import User
from market.shared.mail import mail_queue


def _too_many(request, template: str, form, **context):
    """The form again, unbound (nothing checked, nothing sent), with a 429."""
    context.update(form=form, throttled=_("Too many attempts. Wait a few minutes and try again."))
    return render(request, template, context, status=429)


def _limit_posts(scope: str, template: str, form_class):
    """Count every POST against `scope`, like the API does; past the limit answer 429 unprocessed."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST":
                throttle = ScopeThrottle(scope)
                if throttle.exhausted(request):
                    return _too_many(request, template, form_class())
                throttle.record()
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class LoginView(auth_views.LoginView):
    template_name = "frontend/auth/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        # Failed attempts only count here, so people who sign in correctly never meet the limit.
        throttle = ScopeThrottle("login")
        if throttle.exhausted(request):
            form = self.get_form_class()(
                request, initial={"username": request.POST.get("username", "")}
            )
            context = self.get_context_data(form=form)
            return _too_many(request, self.template_name, context.pop("form"), **context)
        response = super().post(request, *args, **kwargs)
        if not request.user.is_authenticated:
            throttle.record()
        return response

    def form_valid(self, form):
        guest_cart = cart_session.peek(self.request)  # before login() rotates the session
        response = super().form_valid(form)
        cart_session.merge_into_user(self.request, guest_cart)
        return follow_account_language(response, form.get_user())


def follow_account_language(response: HttpResponse, user: User) -> HttpResponse:
    """After login the pages speak the account's language, whatever the browser asked for: the
    language cookie (read by LocaleMiddleware before Accept-Language) is set to it."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        user.language,
        max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 24 * 3600,
        samesite="Lax",
    )
    return response


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """The header's language button: Django's set_language, and for a signed-in user the account
    remembers the choice (the next login follows it)."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_set_language(user=request.user, language=language)
    return set_language(request)


class LogoutView(auth_views.LogoutView):
    # django-stubs types next_page as str; Django passes it through resolve_url, lazy URLs included.
    next_page = reverse_lazy("frontend:home")  # type: ignore[assignment]


@require_http_methods(["GET", "POST"])
@_limit_posts("signup", "frontend/auth/signup.html", SignupForm)
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("frontend:home")
    form = SignupForm(request.POST or None)
    # "Are you a cooperative?" sends people here with ?next=; after sign-up, login continues there.
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.method == "POST" and form.is_valid():
        try:
            user_signup(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                full_name=form.cleaned_data["full_name"],
                language=get_language()[:2],
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            # A new account (or the owner's own password) signs in at once. Otherwise the same
            # answer whether or not the address was already registered.
            user = authenticate(
                request, username=form.cleaned_data["email"], password=form.cleaned_data["password"]
            )
            if user is not None:
                guest_cart = cart_session.peek(request)
                login(request, user)
                cart_session.merge_into_user(request, guest_cart)
                messages.success(request, _("Welcome! Your account is ready."))
                return follow_account_language(redirect(next_url or "frontend:home"), user)
            messages.success(
                request,
                _(
                    "Thank you! If this address is new, your account is ready: log in. "
                    "We have also sent you an email."
                ),
            )
            login_url = reverse("frontend:login")
            return redirect(
                f"{login_url}?{urlencode({'next': next_url})}" if next_url else login_url
            )
    return render(request, "frontend/auth/signup.html", {"form": form, "next": next_url})


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the mail leaves after the answer as a background task
    (market.shared.mail.mail_queue): sent inline, the SMTP round-trip only for known addresses would show in the
    response time and reveal which addresses have accounts."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        mail_queue(to=[to_email], language=get_language(), subject=subject, body=body)


password_reset = _limit_posts(
    "password_reset", "frontend/auth/password_reset.html", QueuedPasswordResetForm
)(
    auth_views.PasswordResetView.as_view(
        form_class=QueuedPasswordResetForm,
        template_name="frontend/auth/password_reset.html",
        email_template_name="frontend/auth/password_reset_email.txt",
        subject_template_name="frontend/auth/password_reset_subject.txt",
        success_url=reverse_lazy("frontend:password_reset_done"),
    )
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="frontend/auth/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="frontend/auth/password_reset_confirm.html",
    success_url=reverse_lazy("frontend:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="frontend/auth/password_reset_complete.html"
)


@require_http_methods(["GET", "POST"])
def verify_email(request: HttpRequest) -> HttpResponse:
    """The link from the confirmation mail. GET only shows a button: mail scanners that fetch
    links must not confirm an address on the person's behalf."""
    from market.accounts.services import user_email_verify

    token = request.POST.get("token") if request.method == "POST" else request.GET.get("token")
    context = {"token": token or "", "done": False, "error": ""}
    if request.method == "POST":
        try:
            user_email_verify(token=token or "")
        except DomainError as exc:
            context["error"] = str(exc.message)
        else:
            context["done"] = True
    return render(request, "frontend/auth/verify_email.html", context)
