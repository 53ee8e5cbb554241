from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from market.shared.outbox import changes_committed
        from search import system_checks  # noqa: F401  (registers them)
        from search.sync import on_changes_committed

        changes_committed.connect(
            on_changes_committed, dispatch_uid="search.sync.on_changes_committed"
        )

        from market.observability import register_ready_probe
        from search.backends import get_backend

        register_ready_probe("search", lambda: get_backend().count())  # /readyz

        from django.db.backends.signals import connection_created

        from search.backends.database import tune_sqlite

        connection_created.connect(tune_sqlite, dispatch_uid="search.backends.database.tune_sqlite")
