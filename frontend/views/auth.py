"""Sign in, sign up, sign out and password reset, on Django's auth views."""
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from frontend import cart_session
from frontend.forms import LoginForm, SignupForm


class LoginView(auth_views.LoginView):
    template_name = "frontend/auth/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        guest_cart = cart_session.peek(self.request)  # before login() rotates the session
        response = super().form_valid(form)
        cart_session.merge_into_user(self.request, guest_cart)
        return response


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("frontend:home")


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("frontend:home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        guest_cart = cart_session.peek(request)
        user = form.save()
        auth_login(request, user, backend="market.auth.EmailBackend")
        cart_session.merge_into_user(request, guest_cart)
        messages.success(request, _("Welcome! Your account is ready."))
        return redirect("frontend:home")
    return render(request, "frontend/auth/signup.html", {"form": form})


password_reset = auth_views.PasswordResetView.as_view(
    template_name="frontend/auth/password_reset.html",
    email_template_name="frontend/auth/password_reset_email.txt",
    subject_template_name="frontend/auth/password_reset_subject.txt",
    success_url=reverse_lazy("frontend:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(template_name="frontend/auth/password_reset_done.html")
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="frontend/auth/password_reset_confirm.html",
    success_url=reverse_lazy("frontend:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="frontend/auth/password_reset_complete.html"
)
