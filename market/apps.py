from django.apps import AppConfig


class MarketConfig(AppConfig):
    name = "market"
    verbose_name = "Market: parties, cooperatives, verification"

    def ready(self) -> None:
        from market.api import converters

        converters.register()
