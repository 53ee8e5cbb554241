"""The project's URLs plus one view that fails, to see what a real 500 under /api/ answers."""

from django.urls import path

from market.urls import handler404, handler500, urlpatterns  # noqa: F401 (the handlers under test)


def _boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("api/v1/boom/", _boom), path("pages/boom/", _boom), *urlpatterns]
