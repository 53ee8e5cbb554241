"""Django system checks of the search settings (`manage.py check`, run at every start)."""

from typing import Any

from django.conf import settings
from django.core import checks

# Elasticsearch's and OpenSearch's index.max_result_window (their default; our indices keep it):
# the engines find a rank window's bound as the hit at `from = SEARCH_RANK_WINDOW - 1`, which
# they refuse past it, and every big match would then be answered degraded.
ENGINE_RESULT_WINDOW = 10_000


@checks.register(checks.Tags.compatibility)
def check_rank_window(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    window = getattr(settings, "SEARCH_RANK_WINDOW", 2000)
    if isinstance(window, int) and 0 <= window <= ENGINE_RESULT_WINDOW:
        return []
    return [
        checks.Error(
            f"SEARCH_RANK_WINDOW is {window!r}; it must be a whole number from 0 (rank every "
            f"match) to {ENGINE_RESULT_WINDOW:,} (the engines' result window).",
            hint="Set SEARCH_RANK_WINDOW to 2000 (the default) or another value in that range.",
            id="search.E001",
        )
    ]
