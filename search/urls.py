from django.urls import path

from search.apis import ProductSearchApi, ProductSuggestApi

app_name = "search"
urlpatterns = [
    path("products", ProductSearchApi.as_view(), name="products"),
    path("suggest", ProductSuggestApi.as_view(), name="suggest"),
]
