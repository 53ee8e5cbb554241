"""OpenSearch backend: the same mapping and query bodies (elasticsearch-dsl `.to_dict()`), sent with
opensearch-py; responses are wrapped back into elasticsearch-dsl `Response` objects so the shared
code reads hits, sort values and aggregations the same way."""

from elasticsearch_dsl.response import Response

from search.backends.elastic import EngineBackend


class OpenSearchBackend(EngineBackend):
    name = "opensearch"

    def _connect(self, url, timeout):
        import opensearchpy

        self.errors = (opensearchpy.exceptions.OpenSearchException,)
        return opensearchpy.OpenSearch(url, timeout=timeout, retry_on_timeout=True, max_retries=2)

    def _search(self, search, index):
        raw = self.client.search(index=index, body=search.to_dict())
        return Response(search, raw)

    def _bulk(self, actions):
        from opensearchpy.helpers import bulk

        return bulk(self.client, actions, raise_on_error=False, refresh=False)

    def _create_index(self, name, body):
        self.client.indices.create(index=name, body=body)

    def _put_settings(self, name, settings_):
        self.client.indices.put_settings(index=name, body=settings_)

    def _update_aliases(self, actions):
        self.client.indices.update_aliases(body={"actions": actions})

    def _alias_indices(self, alias):
        if not self.client.indices.exists_alias(name=alias):
            return []
        return sorted(self.client.indices.get_alias(name=alias))

    def _scan(self, name, source):
        from opensearchpy.helpers import scan

        return scan(
            self.client,
            index=name,
            query={"query": {"match_all": {}}, "_source": source},
            size=2000,
        )
