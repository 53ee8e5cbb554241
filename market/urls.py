"""Root URLs. Each app owns its `urls.py`; APIs live under /api/v1/."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from market import observability
from market.accounts.admin_login import admin_login

api_v1 = [
    path("", include("market.api.urls")),
    path("", include("catalog.urls")),
    path("search/", include("search.urls")),
    path("", include("orders.urls")),
    path("", include("ledger.urls")),
    path("", include("quotes.urls")),
]

handler404 = "market.api.responses.handler404"
handler500 = "market.api.responses.handler500"

urlpatterns = [
    path("admin/login/", admin_login, name="admin-login"),  # throttled; must precede admin/
    path("healthz", observability.healthz, name="healthz"),
    path("readyz", observability.readyz, name="readyz"),
    path("metrics", observability.metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("frontend.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
