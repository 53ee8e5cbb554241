"""Elasticsearch backend (elasticsearch-dsl over elasticsearch-py 8), and the index lifecycle the
OpenSearch backend shares.

Index names come from settings.SEARCH_INDEX_PREFIX. Readers use `<prefix>-products`, writers
`<prefix>-products-write`; both point at one physical index `<prefix>-products-<ms>`. A rebuild
creates the next physical index behind `<prefix>-products-next`: while that alias exists every
write goes to both indices and drains keep their outbox rows (see `search.sync.reindex`), then
one atomic `_aliases` call moves read and write aliases and drops the `-next` alias.
"""

import abc
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, ParamSpec, TypeVar, cast

from django.conf import settings
from elasticsearch_dsl import Q, Search

from search import ranking
from search.backends import engine_query as eq
from search.backends.base import (
    BackendUnavailable,
    Query,
    SearchBackend,
    SearchResult,
    encode_cursor,
)
from search.backends.database import (
    clause_terms,
    is_big_match,
    rank_window,
    window_min_docs,
)
from search.text import tokens

log = logging.getLogger("htx.search")
BULK_CHUNK = 1000
P = ParamSpec("P")
R = TypeVar("R")
Action = dict[str, Any]  # one bulk or alias action
# How long this process keeps the index's document count and the terms' shares of it (the
# common words, search/ranking.py). A word's share moves by the thousandths a day; a clear or a
# rebuild through this process forgets them at once.
SHARES_SECONDS = 300
FORCE_MERGE_SECONDS = 1800  # a rebuild's force merge: 16 s at 1,000,000 products on 2 cores
DOCS = ""  # the number of documents, beside the terms' shares
_shares: dict[tuple[str, str], tuple[float, dict[str, float]]] = {}
NAMES, APART = "names", "apart"  # how a page's total is counted (`EngineBackend.request_plan`)
# The totals this process saw per index and search (words, plan, filters: not page or sort),
# for the shape of the next request with the same ones (`EngineBackend.requests_for`): kept
# SHARES_SECONDS, at most settings.SEARCH_KNOWN_TOTALS of them (0: none; every search then
# sends the page and the facets side by side), forgotten at a clear or rebuild. A total that
# is out of date costs only speed: either shape answers a small match's facets exactly.
_totals: dict[tuple[str, str], "OrderedDict[tuple[Query, Any], tuple[float, int]]"] = {}
# The rank window's bound (the sort values of its last document) of each search (`_total_key`
# and the window's size) this process found, or None when it had too few name matches for a
# window, kept SHARES_SECONDS and at most settings.SEARCH_KNOWN_TOTALS, forgotten at a clear or
# rebuild (`EngineBackend._run`): a kept bound is checked in the same _msearch as its page; a
# multi-word query whose words are each in many documents but together in few names
# ("dac san lang son" at 1,000,000 products, under a filter) is ranked whole at once.
_bounds: dict[
    tuple[str, str], "OrderedDict[tuple[Query, Any], tuple[float, list[Any] | None]]"
] = {}
# How many name matches (`eq.candidates`) each search had (`EngineBackend.names_first`), kept
# the same way: a page they do not reach is then ranked in full at once.
_names: dict[tuple[str, str], "OrderedDict[tuple[Query, Any], tuple[float, int]]"] = {}
# The threads of a process (gunicorn's gthread workers) write it one at a time: an update of
# the oldest total while another thread's total evicts it raised KeyError (the search: a 500).
_totals_lock = threading.Lock()


def _fresh(
    kept: "OrderedDict[Any, tuple[float, Any]] | None", key: Any
) -> tuple[float, Any] | None:
    """The (expiry, value) kept under `key` in one of the per-process stores above (`_totals`,
    `_bounds`, `_names`), or None when there is none or it is older than SHARES_SECONDS."""
    seen = kept.get(key) if kept is not None else None
    return seen if seen is not None and seen[0] > time.monotonic() else None


def _keep(kept: "OrderedDict[Any, tuple[float, Any]]", key: Any, value: Any) -> None:
    """Keep `value` under `key` for SHARES_SECONDS in one of the per-process stores above, the
    newest last, at most settings.SEARCH_KNOWN_TOTALS of them (the oldest dropped first)."""
    with _totals_lock:
        kept[key] = (time.monotonic() + SHARES_SECONDS, value)
        kept.move_to_end(key)
        while len(kept) > max(int(settings.SEARCH_KNOWN_TOTALS), 0):
            kept.popitem(last=False)


class EngineBackend(SearchBackend):
    """Everything but the client calls, which subclasses provide."""

    def __init__(self, *, url: str, prefix: str | None = None, timeout: float = 10.0):
        self.url = url
        self.prefix = (prefix or settings.SEARCH_INDEX_PREFIX).lower()
        self.read_alias = f"{self.prefix}-products"
        self.write_alias = f"{self.prefix}-products-write"
        self.next_alias = f"{self.prefix}-products-next"
        # elasticsearch.Elasticsearch or opensearchpy.OpenSearch (the latter ships no types)
        self.client: Any = self._connect(url, timeout)
        self._ready = False

    # --- client calls (subclasses) ---
    @abc.abstractmethod
    def _connect(self, url: str, timeout: float) -> Any: ...
    @abc.abstractmethod
    def _search(
        self, search: Any, index: str, params: dict[str, Any] | None = None
    ) -> Any: ...  # -> elasticsearch_dsl Response; params: query-string parameters
    @abc.abstractmethod
    def _search_raw(
        self, body: dict[str, Any], index: str, params: dict[str, Any] | None = None
    ) -> dict[str, Any]: ...  # the engine's JSON answer
    @abc.abstractmethod
    def _bulk(self, actions: list[Action]) -> tuple[int, list[Any]]: ...
    @abc.abstractmethod
    def _create_index(self, name: str, body: dict[str, Any]) -> None: ...
    @abc.abstractmethod
    def _put_settings(self, name: str, settings_: dict[str, Any]) -> None: ...
    @abc.abstractmethod
    def _update_aliases(self, actions: list[Action]) -> None: ...
    @abc.abstractmethod
    def _alias_indices(self, alias: str) -> list[str]: ...
    @abc.abstractmethod
    def _scan(self, name: str, source: list[str]) -> Iterable[dict[str, Any]]: ...

    errors: tuple[type[Exception], ...] = ()

    # The same call on both clients (elasticsearch-py and opensearch-py).
    def _delete_index(self, pattern: str) -> None:
        self.client.indices.delete(
            index=pattern,
            ignore_unavailable=True,
            allow_no_indices=True,
            expand_wildcards="open,closed",
        )

    def _refresh(self, name: str) -> None:
        self.client.indices.refresh(index=name)

    def _count(self, name: str) -> int:
        return int(self.client.count(index=name)["count"])

    def _force_merge(self, name: str) -> None:  # opensearch-py (elasticsearch-py: below)
        self.client.indices.forcemerge(
            index=name, max_num_segments=1, request_timeout=FORCE_MERGE_SECONDS
        )

    def _count_body(self, name: str, body: dict[str, Any]) -> int:
        return int(self.client.count(index=name, body=body)["count"])

    def _call(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except self.errors as exc:
            raise BackendUnavailable(
                f"{self.name}: {type(exc).__name__}: {str(exc)[:300]}"
            ) from exc

    # --- index lifecycle ---

    def _new_index(self, *, loading: bool) -> str:
        name = f"{self.read_alias}-{int(time.time() * 1000)}"
        self._call(self._create_index, name, eq.index_body(loading=loading))
        return name

    def ensure_index(self) -> None:
        if self._ready:
            return
        if not self._call(self._alias_indices, self.read_alias):
            name = self._new_index(loading=False)
            self._call(
                self._update_aliases,
                [
                    {"add": {"index": name, "alias": self.read_alias}},
                    {"add": {"index": name, "alias": self.write_alias}},
                ],
            )
        self._ready = True

    def outdated(self) -> str | None:
        self.ensure_index()
        names = self._call(self._alias_indices, self.read_alias)
        mappings = self._call(self.client.indices.get_mapping, index=",".join(names))
        want = eq.layout_fingerprint()
        for name in names:
            have = (mappings[name]["mappings"].get("_meta") or {}).get("layout")
            if have != want:
                return (
                    f"{self.name} index {name} was built with layout {have or 'unknown'}, "
                    f"this code builds {want}: run manage.py search_reindex"
                )
        return None

    def _targets(self) -> list[str]:
        self.ensure_index()
        return sorted(
            set(self._call(self._alias_indices, self.write_alias))
            | set(self._call(self._alias_indices, self.next_alias))
        )

    @property
    def keeps_outbox(self) -> bool:
        return bool(self._call(self._alias_indices, self.next_alias))

    # --- writes ---

    def index_many(self, docs: list[dict[str, Any]], targets: list[str] | None = None) -> int:
        if not docs:
            return 0
        targets = targets or self._targets()
        actions = [
            {
                "_op_type": "index",
                "_index": t,
                "_id": d["id"],
                "_source": eq.ProductDocument.source(d),
            }
            for d in docs
            for t in targets
        ]
        for start in range(0, len(actions), BULK_CHUNK):
            self._bulk_checked(actions[start : start + BULK_CHUNK])
        return len(docs)

    def delete_many(self, ids: list[int]) -> int:
        ids = list(ids)
        if not ids:
            return 0
        actions = [
            {"_op_type": "delete", "_index": t, "_id": i} for i in ids for t in self._targets()
        ]
        self._bulk_checked(actions)
        return len(ids)

    def _bulk_checked(self, actions: list[Action]) -> None:
        _, errors = self._call(self._bulk, actions)
        real = [
            e for e in errors if next(iter(e.values())).get("status") != 404
        ]  # deleting the absent is fine
        if real:
            raise BackendUnavailable(
                f"{self.name}: bulk rejected {len(real)} actions: {str(real[0])[:300]}"
            )

    def refresh(self) -> None:
        for name in self._targets():
            self._call(self._refresh, name)

    def clear(self) -> None:
        self._call(self._delete_index, f"{self.read_alias}-*")
        self._ready = False
        _shares.pop((self.url, self.read_alias), None)
        _totals.pop((self.url, self.read_alias), None)
        _bounds.pop((self.url, self.read_alias), None)
        _names.pop((self.url, self.read_alias), None)
        self.ensure_index()

    def rebuild(
        self,
        docs_iter: Iterable[list[dict[str, Any]]],
        *,
        after_load: Callable[[], object] | None = None,
        progress: Callable[[int], object] | None = None,
    ) -> int:
        self.ensure_index()
        old = self._call(self._alias_indices, self.read_alias)
        stale_next = self._call(self._alias_indices, self.next_alias)
        for name in stale_next:  # a crashed earlier rebuild: its half-loaded index is useless
            self._call(self._delete_index, name)
        new = self._new_index(loading=True)
        self._call(self._update_aliases, [{"add": {"index": new, "alias": self.next_alias}}])
        total = 0
        try:
            for docs in docs_iter:
                total += self.index_many(docs, targets=[new])
                if progress:
                    progress(total)
            # One segment before readers see it: a rebuild leaves a few dozen (at 1,000,000
            # products 17-23), and each search pays per segment (the facets' ordinals, every
            # query's term lookups): 16 s at 1,000,000 products, once per rebuild.
            self._call(self._force_merge, new)
            if after_load:
                after_load()  # drains now write to old and new
            self._call(self._put_settings, new, {"index": {"refresh_interval": "1s"}})
            self._call(self._refresh, new)
        except BaseException:
            self._call(self._delete_index, new)
            raise
        actions: list[Action] = [
            {"remove": {"index": i, "alias": a}}
            for i in old
            for a in (self.read_alias, self.write_alias)
        ]
        actions += [
            {"add": {"index": new, "alias": self.read_alias}},
            {"add": {"index": new, "alias": self.write_alias}},
            {"remove": {"index": new, "alias": self.next_alias}},
        ]
        self._call(self._update_aliases, actions)  # atomic: readers switch in one step
        _shares.pop((self.url, self.read_alias), None)
        _totals.pop((self.url, self.read_alias), None)
        _bounds.pop((self.url, self.read_alias), None)
        _names.pop((self.url, self.read_alias), None)
        for name in old:
            self._call(self._delete_index, name)
        return total

    # --- reads ---

    def count(self) -> int:
        self.ensure_index()
        return self._call(self._count, self.read_alias)

    def snapshot(self) -> dict[int, str]:
        self.ensure_index()
        return {
            int(h["_id"]): h["_source"].get("doc_hash", "")
            for h in self._call(lambda: list(self._scan(self.read_alias, ["doc_hash"])))
        }

    def run(self, query: Query) -> SearchResult:
        self.ensure_index()
        plan = self.narrowed_plan(query)
        if plan is not None:  # a common word in names only, as on the database backend: when
            result = self._run(query, plan)  # that finds NARROWED_ENOUGH, it is the answer for
            if result.total >= ranking.NARROWED_ENOUGH:  # every page (the pages must agree)
                return result
        return self._run(query, None)

    def narrowed_plan(self, query: Query) -> ranking.Plan | None:
        """The plan of a one-word query ranked by relevance whose word is in more than half of
        the documents (search/ranking.py, "Common words"), looked for in the names only; None
        for every other query. "sắn" folds to "san", which is "sản" in nearly every description
        and in the category "Nông sản": at 1,000,000 products the engine scored, sorted and
        counted facets over the whole index for it (260-310 ms, the tail)."""
        parsed = query.parsed
        if parsed.empty or query.sort != "relevance" or len(parsed.clauses) != 1:
            return None
        shares = self._shares_of(parsed.folded)
        common = frozenset(t for t in parsed.folded if shares.get(t, 0.0) > ranking.COMMON_SHARE)
        if not common:
            return None
        plan = ranking.plan(query.q, parsed, common)
        return plan if plan.narrowed else None

    def _shares_of(self, terms: Iterable[str]) -> dict[str, float]:
        """The share of the documents that hold each folded term in their name, context or
        description, kept SHARES_SECONDS in this process; {} in a catalog smaller than
        COMMON_MIN_DOCS (every word is rare enough there)."""
        if self._kept_shares()[DOCS] < ranking.COMMON_MIN_DOCS:
            return {}
        return self._term_shares(terms)

    def _term_shares(self, terms: Iterable[str]) -> dict[str, float]:
        """The share of the documents that hold each term (`eq.share_search`), kept
        SHARES_SECONDS in this process, with the document count (DOCS): the terms not kept yet
        are counted in one `_msearch` (one request each, one after the other, before)."""
        known = self._kept_shares()
        docs = known[DOCS]
        missing = [t for t in dict.fromkeys(terms) if t not in known]
        if missing:
            bodies = [{**eq.share_search(t), "size": 0, "track_total_hits": True} for t in missing]
            answers = self._call(self._msearch_raw, bodies, self.read_alias)
            for term, answer in zip(missing, answers, strict=True):
                known[term] = answer["hits"]["total"]["value"] / docs if docs else 0.0
        return known

    def window_bound(
        self, query: Query, plan: ranking.Plan | None
    ) -> tuple[ranking.Plan, list[Any]] | None:
        """The rank window of a big match ranked by relevance (docs/search.md "Ranking"; the
        database backends' `_windowed`): (the plan, the sort values of the window's last
        document), or None when the match is ranked whole. A window when the catalog and every
        word of the query are big enough (`is_big_match`, on the shares the engine counts) and
        at least `rank_window()` documents have every word in the name; a query with a digit
        may be a SKU (which outranks the name): windowed only when no document has that SKU.
        The window is the newest that many name matches in the index's order (`created`, then
        `id`; the database's is by id, which is given in creation order)."""
        checked = self._window_checked(query, plan)
        if checked is None:
            return None
        full, key = checked
        bodies = eq.window_bound_bodies(query, full, rank_window())
        bound = self._read_bound(key, self._send(bodies))
        return (full, bound) if bound is not None else None

    def _window_checked(
        self, query: Query, plan: ranking.Plan | None
    ) -> tuple[ranking.Plan, tuple[Query, Any]] | None:
        """(the plan, the key of the search's window) when a window may hold: every test of
        `window_bound` but the name matches' count and the SKU, which need the engine."""
        size = rank_window()
        if query.parsed.empty or query.sort != "relevance" or size <= 0:
            return None
        if self._kept_shares()[DOCS] < window_min_docs():  # (no word counted: 100,000 products)
            return None
        full = plan or ranking.plan(query.q, query.parsed)
        if not is_big_match(
            full, self._term_shares(t for c in full.recall for t in clause_terms(c))
        ):
            return None
        key = (_total_key(query, plan)[0], (plan, size))
        seen = _fresh(_bounds.get((self.url, self.read_alias)), key)
        if seen is not None and seen[1] is None:
            return None  # too few name matches, seen within SHARES_SECONDS
        return full, key

    def _kept_bound(self, key: tuple[Query, Any]) -> list[Any] | None:
        seen = _fresh(_bounds.get((self.url, self.read_alias)), key)
        return seen[1] if seen is not None else None

    def _read_bound(
        self, key: tuple[Query, Any], answers: list[dict[str, Any]]
    ) -> list[Any] | None:
        """The window's bound from the answers of `eq.window_bound_bodies` (None: no window:
        fewer name matches, or the query is a SKU), kept for the next search with the same
        key (`_run`)."""
        if len(answers) > 1 and answers[1]["hits"]["total"]["value"]:
            return None  # the query is a SKU (the next search asks again)
        hits = answers[0]["hits"]["hits"]
        bound = list(hits[0]["sort"]) if hits else None
        _keep(_bounds.setdefault((self.url, self.read_alias), OrderedDict()), key, bound)
        return bound

    def _send(self, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        params = {"request_cache": False}
        if len(bodies) == 1:
            return [self._call(self._search_raw, bodies[0], self.read_alias, params)]
        return self._call(self._msearch_raw, bodies, self.read_alias, params)

    def _kept_shares(self) -> dict[str, float]:
        """The terms' shares this process keeps for the index (SHARES_SECONDS), with the
        index's document count (DOCS) always in them."""
        key, now = (self.url, self.read_alias), time.monotonic()
        expires, known = _shares.get(key, (0.0, {}))
        if expires < now:
            known = {}
            _shares[key] = (now + SHARES_SECONDS, known)
        if DOCS not in known:
            known[DOCS] = float(self._call(self._count, self.read_alias))
        return known

    def requests_for(
        self, query: Query, plan: ranking.Plan | None
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The bodies and query-string parameters a search of `query` sends (`request_plan`)."""
        bodies, params, _mode = self.request_plan(query, plan)
        return bodies, params

    def names_first(self, query: Query, plan: ranking.Plan | None) -> bool:
        """Whether the page of `query` is looked for among the name matches first
        (`eq.names_first`): a search with words ranked by relevance (settings.SEARCH_NAMES_FIRST,
        default on), unless this process saw, within SHARES_SECONDS, that its name matches do
        not reach the page (then it is ranked in full at once)."""
        if query.parsed.empty or query.sort != "relevance":
            return False
        if not getattr(settings, "SEARCH_NAMES_FIRST", True):
            return False
        seen = _fresh(_names.get((self.url, self.read_alias)), _total_key(query, plan))
        if seen is None:
            return True
        return int(seen[1]) >= (query.size if query.cursor else query.offset + query.size)

    def request_plan(
        self, query: Query, plan: ranking.Plan | None
    ) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
        """The bodies and query-string parameters a search of `query` sends (`_run`; the
        bench's engine-alone figure sends exactly these): one request when the match is known
        to be small, else the page and the facets side by side (eq.search_requests). A match is
        known to be small when the last total seen for the same words, plan and filters was,
        or when the whole index is no bigger than the threshold (no match can be bigger than
        the index: a catalog of a few thousand products never sends its facets apart, even
        for a search this process has not seen yet). The third value says how the page's total
        is counted: "" by the page, NAMES (names first, `eq.names_first`: the page counts the
        name matches, the match is counted beside it) or APART (a sorted page beside its facets:
        `eq.total_apart`)."""
        known = None
        if query.facets and (kept := self._kept_totals()) is not None:
            seen = _fresh(kept, _total_key(query, plan))
            if seen is not None:
                known = seen[1]
            elif (docs := int(self._kept_shares()[DOCS])) <= eq.exact_count_up_to():
                known = docs
        bodies = eq.search_requests(query, plan, known_total=known)
        mode = ""
        if self.names_first(query, plan):
            bodies, mode = (
                eq.names_first(bodies, plan or ranking.plan(query.q, query.parsed)),
                NAMES,
            )
        elif (
            len(bodies) > 1
            and not query.parsed.empty
            and getattr(settings, "SEARCH_SORTED_TOTAL_APART", True)
        ):  # a sorted page of a match not known to be small, beside its facets
            bodies, mode = eq.total_apart(bodies), APART
        return bodies, eq.request_params(query), mode

    def _kept_totals(self) -> "OrderedDict[tuple[Query, Any], tuple[float, int]] | None":
        if int(settings.SEARCH_KNOWN_TOTALS) <= 0:
            return None
        return _totals.setdefault((self.url, self.read_alias), OrderedDict())

    def _remember_names(self, query: Query, plan: ranking.Plan | None, named: int) -> None:
        """How many name matches (`eq.candidates`) the search of `query` had (`names_first`)."""
        kept = _names.setdefault((self.url, self.read_alias), OrderedDict())
        _keep(kept, _total_key(query, plan), named)

    def _remember_total(self, query: Query, plan: ranking.Plan | None, total: int) -> None:
        kept = self._kept_totals()
        if kept is None:
            return
        _keep(kept, _total_key(query, plan), total)

    def _run(self, query: Query, plan: ranking.Plan | None) -> SearchResult:
        checked = self._window_checked(query, plan)
        if checked is not None:  # a big match: maybe its page from a rank window
            full, key = checked
            size = rank_window()
            head = eq.window_bound_bodies(query, full, size)
            kept = self._kept_bound(key)
            if kept is not None:
                # The bound this process found last time, checked in the same _msearch as the
                # page it bounds: the window is the name matches at or before its bound, so
                # while the bound found now is the same, so is the window (one round trip
                # instead of two; a bound that moved, and the first search, pay both).
                bodies, parts = eq.window_requests(query, full, kept, size)
                answers = self._send(head + bodies)
                bound = self._read_bound(key, answers[: len(head)])
                if bound == kept:
                    return self._windowed_result(
                        query, plan, full, kept, parts, answers[len(head) :]
                    )
            else:
                bound = self._read_bound(key, self._send(head))
            if bound is not None:
                return self._run_windowed(query, plan, full, bound)
        # The bodies as built, the answers as the engine's plain JSON: elasticsearch-dsl's
        # Response wraps every hit and bucket in objects, a third of a search's Python time for
        # fields nobody reads (bench/load.py's filtered searches).
        bodies, params, mode = self.request_plan(query, plan)
        inline = "aggs" in bodies[0]  # a small match's page with its facets in one request
        if len(bodies) == 1:
            raw = self._call(self._search_raw, bodies[0], self.read_alias, params)
            others: list[dict[str, Any]] = []
        else:  # the page and the facets (or names first: the count) side by side
            raw, *others = self._call(self._msearch_raw, bodies, self.read_alias, params)
        hits = raw["hits"]["hits"]
        if mode == APART:  # the page without its total: counted by the facet request
            total: int = others[0]["hits"]["total"]["value"]
        else:
            total = raw["hits"]["total"]["value"]
        if mode == NAMES:  # the page's total counted the name matches; the match counted apart
            named = total
            total = (
                raw["aggregations"][eq.MATCHES]["doc_count"]
                if inline
                else others[0]["hits"]["total"]["value"]
            )
            self._remember_names(query, plan, named)
            if len(hits) < query.size and total > named:  # the page reaches past them
                body = eq.page_body(query, plan)
                hits = self._call(self._search_raw, body, self.read_alias, params)["hits"]["hits"]
        facet_answers = [raw] if inline else (others if query.facets else [])
        if inline and eq.bits_overflowed(raw):  # rare: counted as an unknown match
            apart = eq.search_requests(query, plan, packed=False)[1:]
            facet_answers = self._call(self._msearch_raw, apart, self.read_alias, params)
        elif facet_answers and not inline and eq.bits_overflowed(facet_answers[0]):
            body = eq.search_requests(query, plan, packed=False)[1]  # rare: counted apart
            facet_answers[0] = self._call(self._search_raw, body, self.read_alias, params)
        if query.facets:
            self._remember_total(query, plan, total)
        result = SearchResult(ids=[int(h["_id"]) for h in hits], total=total)
        if facet_answers:
            result.facets, estimated = eq.read_facet_answers(facet_answers, total)
            if estimated:  # a big match: some facets counted over its newest matches only
                result.estimated_facets = estimated
                result.total_exact = False
        if hits and (query.offset + len(hits) < total or query.cursor) and len(hits) == query.size:
            result.next_cursor = encode_cursor(list(hits[-1]["sort"]))
        return result

    def _run_windowed(
        self, query: Query, plan: ranking.Plan | None, full: ranking.Plan, bound: list[Any]
    ) -> SearchResult:
        """A big match's page from its rank window (and past it, the rest of the match ranked
        in full), its total and facets over the whole match, in one `_msearch`
        (`eq.window_requests`)."""
        bodies, parts = eq.window_requests(query, full, bound, rank_window())
        answers = self._call(self._msearch_raw, bodies, self.read_alias, {"request_cache": False})
        return self._windowed_result(query, plan, full, bound, parts, answers)

    def _windowed_result(
        self,
        query: Query,
        plan: ranking.Plan | None,
        full: ranking.Plan,
        bound: list[Any],
        parts: list[str],
        answers: list[dict[str, Any]],
    ) -> SearchResult:
        """The result of a windowed search from the answers of `eq.window_requests`."""
        params = {"request_cache": False}
        hits: list[dict[str, Any]] = []
        last_rest = False
        for part, answer in zip(parts, answers, strict=False):
            found = answer["hits"]["hits"][: query.size - len(hits)]
            hits += found
            last_rest = part == eq.REST if found else last_rest
        if parts == ["window"] and query.cursor and len(hits) < query.size:
            # a cursor near the window's end: the rest of the page from the rest of the match
            window = eq.in_window(full, bound)
            body = eq.rest_body(query, full, window, query.size - len(hits), {"from": 0})
            found = self._call(self._search_raw, body, self.read_alias, params)["hits"]["hits"]
            hits += found
            last_rest = last_rest or bool(found)
        counts = answers[len(parts) :]
        total: int = counts[0]["hits"]["total"]["value"]
        result = SearchResult(ids=[int(h["_id"]) for h in hits], total=total)
        if query.facets:
            self._remember_total(query, plan, total)
            if eq.bits_overflowed(counts[0]):  # rare: the small facets counted apart
                body = eq.search_requests(query, plan, packed=False)[1]
                counts[0] = self._call(self._search_raw, body, self.read_alias, params)
            result.facets, estimated = eq.read_facet_answers(counts, total)
            if estimated:
                result.estimated_facets = estimated
                result.total_exact = False
        if hits and (query.offset + len(hits) < total or query.cursor) and len(hits) == query.size:
            mark = [eq.REST] if last_rest else []
            result.next_cursor = encode_cursor([*hits[-1]["sort"], *mark])
        return result

    def _msearch_raw(
        self, bodies: list[dict[str, Any]], index: str, params: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """The answers of `bodies` sent in one `_msearch` (each with the query-string
        `params` as its header); an answer that failed raises, as a failed search would."""
        header = {"index": index, **(params or {})}
        lines: list[dict[str, Any]] = []
        for body in bodies:
            lines += [header, body]
        answers: list[dict[str, Any]] = self._msearch_lines(lines)["responses"]
        for answer in answers:
            if "error" in answer:
                raise BackendUnavailable(
                    f"{self.name}: msearch: {answer.get('status')}: {str(answer['error'])[:300]}"
                )
        return answers

    @abc.abstractmethod
    def _msearch_lines(self, lines: list[dict[str, Any]]) -> dict[str, Any]: ...

    def close_words(self, token: str) -> set[str]:
        self.ensure_index()
        response = self._call(self._search, eq.word_search(token), self.read_alias)
        words: set[str] = set()
        for entries in response.suggest.to_dict().values():
            for entry in entries:
                words |= {o["text"] for o in entry.get("options", [])}
        known = self._call(
            self._search,
            Search()
            .query(Q("multi_match", query=token, fields=["name_fold", "context_fold"]))
            .extra(size=0, track_total_hits=1),
            self.read_alias,
        )
        if known.hits.total.value:
            words.add(token)
        return words

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        parts = tokens(prefix[:100])[:6]
        if not parts:
            return []
        self.ensure_index()
        response = self._call(self._search, eq.suggest_search(parts, limit), self.read_alias)
        names: list[str] = []
        for hit in response.hits:
            if hit.name_vi not in names:
                names.append(hit.name_vi)
        return names[:limit]


def _total_key(query: Query, plan: ranking.Plan | None) -> tuple[Query, Any]:
    """What a match's size depends on: the words, the plan and the filters (not the page,
    the sort or the cursor)."""
    return replace(query, sort="relevance", page=1, size=1, cursor=None), plan


class ElasticsearchBackend(EngineBackend):
    name = "elasticsearch"

    def _connect(self, url: str, timeout: float) -> Any:
        import elasticsearch

        self.errors = (elasticsearch.ApiError, elasticsearch.TransportError)
        return elasticsearch.Elasticsearch(
            url, request_timeout=timeout, retry_on_timeout=True, max_retries=2
        )

    def _search(self, search: Any, index: str, params: dict[str, Any] | None = None) -> Any:
        return search.using(self.client).index(index).params(**(params or {})).execute()

    def _search_raw(
        self, body: dict[str, Any], index: str, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        answer = self.client.search(index=index, body=body, **(params or {}))
        return cast(dict[str, Any], answer.body)

    def _msearch_lines(self, lines: list[dict[str, Any]]) -> dict[str, Any]:
        return cast(dict[str, Any], self.client.msearch(searches=lines).body)

    def _bulk(self, actions: list[Action]) -> tuple[int, list[Any]]:
        from elasticsearch.helpers import bulk

        ok, errors = bulk(self.client, actions, raise_on_error=False, refresh=False)
        return ok, cast(list[Any], errors)  # a list of failed items (stats_only is False)

    def _create_index(self, name: str, body: dict[str, Any]) -> None:
        self.client.indices.create(index=name, settings=body["settings"], mappings=body["mappings"])

    def _put_settings(self, name: str, settings_: dict[str, Any]) -> None:
        self.client.indices.put_settings(index=name, settings=settings_)

    def _force_merge(self, name: str) -> None:
        self.client.options(request_timeout=FORCE_MERGE_SECONDS).indices.forcemerge(
            index=name, max_num_segments=1
        )

    def _update_aliases(self, actions: list[Action]) -> None:
        self.client.indices.update_aliases(actions=actions)

    def _alias_indices(self, alias: str) -> list[str]:
        if not self.client.indices.exists_alias(name=alias):
            return []
        return sorted(self.client.indices.get_alias(name=alias).body)

    def _scan(self, name: str, source: list[str]) -> Iterable[dict[str, Any]]:
        from elasticsearch.helpers import scan

        return scan(
            self.client,
            index=name,
            query={"query": {"match_all": {}}, "_source": source},
            size=2000,
        )
