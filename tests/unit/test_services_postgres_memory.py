"""PostgreSQL's memory settings: the bench node (services/svc), the stack and deploy/ size them as
production does, and tests keep the server's default."""

import importlib.machinery
import importlib.util
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def load_script(name):
    path = REPO / "services" / name
    loader = importlib.machinery.SourceFileLoader(f"htx_services_{name}", str(path))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_a_test_cluster_keeps_the_servers_default_memory(monkeypatch):
    monkeypatch.delenv("SVC_PG_SHARED_BUFFERS", raising=False)
    svc = load_script("svc")

    options = svc.pg_memory_options()

    assert options == ""


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (
            "2GB",
            "-c shared_buffers=2GB -c effective_cache_size=6144MB -c work_mem=16MB"
            " -c maintenance_work_mem=512MB",
        ),
        (
            "256MB",
            "-c shared_buffers=256MB -c effective_cache_size=768MB -c work_mem=16MB"
            " -c maintenance_work_mem=512MB",
        ),
    ],
)
def test_a_bench_node_gets_the_shared_buffers_it_asks_for_and_a_cache_size_three_times_it(
    monkeypatch, size, expected
):
    monkeypatch.setenv("SVC_PG_SHARED_BUFFERS", size)
    svc = load_script("svc")

    options = svc.pg_memory_options()

    assert options == expected


def test_a_shared_buffers_size_without_a_unit_is_refused(monkeypatch):
    monkeypatch.setenv("SVC_PG_SHARED_BUFFERS", "2048")
    svc = load_script("svc")

    with pytest.raises(svc.SvcError, match="SVC_PG_SHARED_BUFFERS"):
        svc.pg_memory_options()


def test_the_stack_starts_postgres_with_1gb_of_shared_buffers_unless_told(monkeypatch):
    monkeypatch.delenv("STACK_PG_SHARED_BUFFERS", raising=False)
    stack = load_script("stack")

    default = stack.svc_env()["SVC_PG_SHARED_BUFFERS"]
    monkeypatch.setenv("STACK_PG_SHARED_BUFFERS", "3GB")
    chosen = stack.svc_env()["SVC_PG_SHARED_BUFFERS"]

    assert (default, chosen) == ("1GB", "3GB")


def test_the_production_compose_sizes_postgres_memory():
    compose = yaml.safe_load((REPO / "deploy" / "compose.yaml").read_text())

    postgres = compose["services"]["postgres"]

    assert postgres["command"].split() == [
        "postgres",
        "-c",
        "shared_buffers=${POSTGRES_SHARED_BUFFERS:-2GB}",
        "-c",
        "effective_cache_size=${POSTGRES_EFFECTIVE_CACHE_SIZE:-6GB}",
        "-c",
        "work_mem=${POSTGRES_WORK_MEM:-16MB}",
        "-c",
        "maintenance_work_mem=${POSTGRES_MAINTENANCE_WORK_MEM:-512MB}",
    ]
    assert postgres["shm_size"] == "1g"
