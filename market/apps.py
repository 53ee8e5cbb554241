from django.apps import AppConfig


class MarketConfig(AppConfig):
    name = "market"
    verbose_name = "Market: parties, cooperatives, verification"

    def ready(self) -> None:
        from market.api import converters

        converters.register()
        from market.shared import pagecache
        from market.shared.outbox import changes_committed

        changes_committed.connect(
            pagecache.on_changes_committed, dispatch_uid="market.pagecache.on_changes_committed"
        )
