"""Backend selection by settings.SEARCH_BACKEND: "database" (default), "elasticsearch", "opensearch"."""

import threading
from typing import Any

from django.conf import settings

from search.backends.base import Query, SearchBackend, SearchResult

__all__ = ["get_backend", "get_fallback", "make_backend", "Query", "SearchBackend", "SearchResult"]

_local = threading.local()


def make_backend(name: str | None = None, **options: Any) -> SearchBackend:
    name = name or settings.SEARCH_BACKEND
    if name == "database":
        from search.backends.database import DatabaseBackend

        return DatabaseBackend(**options)
    if name == "elasticsearch":
        from search.backends.elastic import ElasticsearchBackend

        return ElasticsearchBackend(url=options.pop("url", settings.ELASTICSEARCH_URL), **options)
    if name == "opensearch":
        from search.backends.opensearch import OpenSearchBackend

        return OpenSearchBackend(url=options.pop("url", settings.OPENSEARCH_URL), **options)
    raise ValueError(f"unknown SEARCH_BACKEND {name!r}")


def get_fallback() -> SearchBackend | None:
    """The database backend kept beside an engine (SEARCH_FALLBACK=database), or None (no engine,
    or no fallback). It receives every index write and answers, degraded, while the engine is
    down."""
    if settings.SEARCH_BACKEND == "database" or settings.SEARCH_FALLBACK != "database":
        return None
    cached = getattr(_local, "fallback", None)
    if cached is None:
        from search.backends.database import DatabaseBackend

        cached = _local.fallback = DatabaseBackend()
    return cached


def get_backend() -> SearchBackend:
    """The configured backend, one per thread (clients hold connection pools)."""
    key = (
        settings.SEARCH_BACKEND,
        settings.SEARCH_INDEX_PREFIX,
        settings.ELASTICSEARCH_URL,
        settings.OPENSEARCH_URL,
    )
    cached = getattr(_local, "backend", None)
    if cached is None or cached[0] != key:
        cached = (key, make_backend())
        _local.backend = cached
    return cached[1]
