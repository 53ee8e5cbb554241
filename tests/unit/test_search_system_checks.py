import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from search.system_checks import check_rank_window


@pytest.mark.parametrize("window", [0, 2000, 10_000])
def test_a_rank_window_the_engines_can_bound_passes(window):
    with override_settings(SEARCH_RANK_WINDOW=window):
        assert check_rank_window() == []


@pytest.mark.parametrize("window", [10_001, 50_000, -1, "2000"])
def test_a_rank_window_past_the_engines_result_window_stops_the_start(window):
    with override_settings(SEARCH_RANK_WINDOW=window):
        errors = check_rank_window()
        assert [e.id for e in errors] == ["search.E001"]
        assert "SEARCH_RANK_WINDOW" in errors[0].msg
        with pytest.raises(SystemCheckError, match="search.E001"):
            call_command("check")
