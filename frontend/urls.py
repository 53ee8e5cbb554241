from django.urls import path

from frontend.views import auth, cart, checkout, public, search

app_name = "frontend"

urlpatterns = [
    path("", public.home, name="home"),
    path("hop-tac-xa/", public.directory, name="directory"),
    path("hop-tac-xa/<slug:slug>/", public.coop_profile, name="coop_profile"),
    path("san-pham/<int:pk>/<slug:slug>/", public.product, name="product"),
    path("tim-kiem/", search.search, name="search"),
    path("tim-kiem/goi-y/", search.suggest, name="suggest"),
    # Auth.
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("signup/", auth.signup, name="signup"),
    path("password-reset/", auth.password_reset, name="password_reset"),
    path("password-reset/sent/", auth.password_reset_done, name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", auth.password_reset_confirm, name="password_reset_confirm"),
    path("password-reset/done/", auth.password_reset_complete, name="password_reset_complete"),
    # Cart.
    path("gio-hang/", cart.cart, name="cart"),
    path("gio-hang/them/", cart.cart_add, name="cart_add"),
    path("gio-hang/sua/", cart.cart_update, name="cart_update"),
    path("gio-hang/xoa/", cart.cart_remove, name="cart_remove"),
    # Checkout and orders.
    path("thanh-toan/", checkout.checkout, name="checkout"),
    path("thanh-toan/phuong-xa/", checkout.wards, name="wards"),
    path("thanh-toan/<int:pk>/", checkout.checkout_done, name="checkout_done"),
    path("don-hang/", checkout.order_list, name="order_list"),
    path("don-hang/<str:code>/", checkout.order_detail, name="order_detail"),
    path("don-hang/<str:code>/vietqr.svg", checkout.order_vietqr, name="order_vietqr"),
]
