"""A short-lived shared cache of public catalog reads: the search results area of the search
page and the search API's answers, which are the same for every visitor (no user data, no CSRF
token in them). It is what lets the search pages take the bulk of the traffic (bench/load.py).

Freshness, in two tiers:
- Content edits (a product or family created, renamed, repriced, published or withdrawn, a
  cooperative's profile or status, certifications, photos) bump a generation in the shared
  cache when their transaction commits (`changes_committed` with `content=True`, or
  `bump_generation()`); every key carries the generation, so such edits show at once.
- Stock moves (checkouts, cancellations) do not bump it: under load they happen several times a
  second and would make the cache useless. A cached page may show a stock figure up to
  `PUBLIC_CACHE_SECONDS` old; the cart and checkout always read stock fresh (and lock it), so
  nothing is ever sold on the strength of a cached figure. The search index itself lags the
  database by the outbox drain anyway.

`PUBLIC_CACHE_SECONDS` = 0 turns it off (the default outside production, so tests and
`make run` always read fresh). A cache that is down is skipped, never an error.
"""

import hashlib
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import get_language

log = logging.getLogger("htx.pagecache")
GENERATION_KEY = "pagecache:generation"
T = TypeVar("T")


def seconds() -> int:
    return getattr(settings, "PUBLIC_CACHE_SECONDS", 0)


def _prefix(name: str) -> str:
    """The key prefix of `name` for the request's language and the current content generation
    (one cache round trip; raises when the cache is down)."""
    generation = cache.get_or_set(GENERATION_KEY, 1, None)
    return f"page:{name}:{get_language() or 'vi'}:{generation}:"


def cached(name: str, parts: object, build: Callable[[], T], *, keep: Callable[[T], bool]) -> T:
    """`build()`'s value for (name, parts, the request's language), from the shared cache when
    a fresh one is there; stored when `keep(value)` (e.g. not a degraded answer)."""
    ttl = seconds()
    if ttl <= 0:
        return build()
    try:
        digest = hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()
        key = _prefix(name) + digest
        hit = cache.get(key)
    except Exception as exc:  # the cache is down: serve fresh
        log.warning("page cache unavailable: %s", exc)
        return build()
    if hit is not None:
        return hit
    value = build()
    if keep(value):
        try:
            cache.set(key, value, ttl)
        except Exception as exc:
            log.warning("page cache unavailable: %s", exc)
    return value


def cached_many(
    name: str, ids: list, build: Callable[[list], dict], *, ttl: int | None = None
) -> dict:
    """{id: value} for `ids` (e.g. rendered result cards): those in the shared cache, the rest
    from `build(missing_ids)`, which answers for each id it is given, and are stored for `ttl`
    seconds (`PUBLIC_CACHE_SECONDS` by default; off when that is 0)."""
    ttl = seconds() if ttl is None or seconds() <= 0 else ttl
    if ttl <= 0 or not ids:
        return build(list(ids))
    try:
        prefix = _prefix(name)
        found = cache.get_many([prefix + str(i) for i in ids])
    except Exception as exc:  # the cache is down: serve fresh
        log.warning("page cache unavailable: %s", exc)
        return build(list(ids))
    values = {i: found[prefix + str(i)] for i in ids if prefix + str(i) in found}
    missing = [i for i in ids if i not in values]
    if missing:
        built = build(missing)
        values.update(built)
        try:
            cache.set_many({prefix + str(i): v for i, v in built.items()}, ttl)
        except Exception as exc:
            log.warning("page cache unavailable: %s", exc)
    return values


def bump_generation() -> None:
    """Make every cached page stale (a content edit has committed)."""
    if seconds() <= 0:
        return
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not there (evicted, or a fresh cache)
        cache.set(GENERATION_KEY, 2, None)
    except Exception as exc:
        log.warning("page cache generation not bumped: %s", exc)


def on_changes_committed(sender: object, *, content: bool = True, **kwargs: Any) -> None:
    """Receiver of `market.shared.outbox.changes_committed`."""
    if content:
        bump_generation()
