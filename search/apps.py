from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from market.outbox import changes_committed
        from search.sync import on_changes_committed

        changes_committed.connect(on_changes_committed, dispatch_uid="search.sync.on_changes_committed")
