"""deploy/gunicorn.conf.py: what a worker does with the garbage collector once the app is loaded."""

import gc
import runpy
from pathlib import Path

import pytest

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"


@pytest.fixture
def gc_state():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_a_worker_freezes_the_loaded_app_and_collects_young_objects_less_often(gc_state):
    config = runpy.run_path(str(CONFIG))
    assert gc.get_freeze_count() == 0
    _, older, oldest = gc.get_threshold()

    config["post_worker_init"](worker=None)

    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (10_000, older, oldest)
    # objects made after the hook are collected as usual: a new cycle is not frozen
    cycle = []
    cycle.append(cycle)
    assert gc.is_tracked(cycle)
    frozen = gc.get_freeze_count()
    del cycle
    assert gc.collect() >= 1
    assert gc.get_freeze_count() == frozen


def test_the_young_generation_size_can_be_set_from_the_environment(gc_state, monkeypatch):
    monkeypatch.setenv("GC_YOUNG_THRESHOLD", "700")
    config = runpy.run_path(str(CONFIG))

    config["post_worker_init"](worker=None)

    assert gc.get_threshold()[0] == 700
