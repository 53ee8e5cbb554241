"""OpenSearch backend: the same mapping and query bodies (elasticsearch-dsl `.to_dict()`), sent with
opensearch-py; responses are wrapped back into elasticsearch-dsl `Response` objects so the shared
code reads hits, sort values and aggregations the same way."""

from collections.abc import Iterable
from typing import Any, cast

from elasticsearch_dsl.response import Response

from search.backends.elastic import Action, EngineBackend


class OpenSearchBackend(EngineBackend):
    name = "opensearch"

    def _connect(self, url: str, timeout: float) -> Any:
        import opensearchpy

        self.errors = (opensearchpy.exceptions.OpenSearchException,)
        return opensearchpy.OpenSearch(url, timeout=timeout, retry_on_timeout=True, max_retries=2)

    def _search(self, search: Any, index: str, params: dict[str, Any] | None = None) -> Any:
        raw = self.client.search(index=index, body=search.to_dict(), **(params or {}))
        return Response(search, raw)

    def _search_raw(
        self, body: dict[str, Any], index: str, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return cast(dict[str, Any], self.client.search(index=index, body=body, **(params or {})))

    def _msearch_lines(self, lines: list[dict[str, Any]]) -> dict[str, Any]:
        return cast(dict[str, Any], self.client.msearch(body=lines))

    def _bulk(self, actions: list[Action]) -> tuple[int, list[Any]]:
        from opensearchpy.helpers import bulk

        result: tuple[int, list[Any]] = bulk(
            self.client, actions, raise_on_error=False, refresh=False
        )
        return result

    def _create_index(self, name: str, body: dict[str, Any]) -> None:
        self.client.indices.create(index=name, body=body)

    def _put_settings(self, name: str, settings_: dict[str, Any]) -> None:
        self.client.indices.put_settings(index=name, body=settings_)

    def _update_aliases(self, actions: list[Action]) -> None:
        self.client.indices.update_aliases(body={"actions": actions})

    def _alias_indices(self, alias: str) -> list[str]:
        if not self.client.indices.exists_alias(name=alias):
            return []
        return sorted(self.client.indices.get_alias(name=alias))

    def _scan(self, name: str, source: list[str]) -> Iterable[dict[str, Any]]:
        from opensearchpy.helpers import scan

        hits: Iterable[dict[str, Any]] = scan(
            self.client,
            index=name,
            query={"query": {"match_all": {}}, "_source": source},
            size=2000,
        )
        return hits
