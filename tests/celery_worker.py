"""A real Celery worker for integration tests: a `celery -A market worker` process on the Redis
of REDIS_TEST_URL, connected to this test run's database, consuming a queue of its own (so test
runs that share one Redis never take each other's tasks).

Use it with `transactional_db` (the worker is another process: it sees committed rows only)."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import kombu.pools
from django.conf import settings
from django.db import connection

from market.celery import app

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    d = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("the worker tests need PostgreSQL (a worker cannot see SQLite memory)")
    auth = d["USER"] + (f":{d['PASSWORD']}" if d.get("PASSWORD") else "")
    return f"postgres://{auth}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/{d['NAME']}"


def _private_location() -> str:
    # The private storage is bound when the models load (a callable storage), so it may differ
    # from a test's PRIVATE_MEDIA_ROOT override: give the worker the place files really are.
    from catalog.models import ImportJob

    return str(ImportJob._meta.get_field("file").storage.location)


class Worker:
    """Start/stop/kill one worker process; `use_broker()` points this process at the same queue."""

    def __init__(self, broker_url: str, log_dir: Path, extra_env: dict | None = None):
        self.broker_url = broker_url
        self.queue = f"test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.log_dir = log_dir
        self.extra_env = extra_env or {}
        self.proc: subprocess.Popen | None = None
        self.log_path: Path | None = None
        self.starts = 0

    def env(self) -> dict:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="market.settings",
            DATABASE_URL=database_url(),
            CELERY_BROKER_URL=self.broker_url,
            CELERY_TASK_DEFAULT_QUEUE=self.queue,
            EMAIL_BACKEND="tests.mail_backends.FailOnceFileBackend",  # the file backend
            EMAIL_FILE_PATH=str(self.log_dir / "mail"),
            CATALOG_IMPORT_RUNNER="task",
            MEDIA_ROOT=str(settings.MEDIA_ROOT),
            PRIVATE_MEDIA_ROOT=_private_location(),
            LOG_FORMAT="json",
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        env.pop("SEARCH_BACKEND", None)
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 60) -> None:
        self.starts += 1
        self.log_path = self.log_dir / f"worker-{self.starts}.log"
        cmd = [sys.executable, "-m", "celery", "-A", "market", "worker", "--pool=solo",
               "-Q", self.queue, "-n", f"{self.queue}-{self.starts}@%h", "--loglevel=INFO",
               "--without-gossip", "--without-mingle", "--without-heartbeat"]  # fmt: skip
        with open(self.log_path, "w") as out:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=self.env(), stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log():
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"celery worker exited: {self.log()[-2000:]}")
            time.sleep(0.2)
        raise RuntimeError(f"celery worker not ready after {timeout}s: {self.log()[-2000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def kill(self) -> None:
        """SIGKILL the whole worker (no graceful shutdown: its message stays unacknowledged)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


def use_broker(settings_fixture, broker_url: str, queue: str) -> None:
    """Point this test process's `enqueue` at `broker_url`/`queue` (the app's producer pool is
    rebuilt so it does not keep a connection to another broker)."""
    settings_fixture.CELERY_BROKER_URL = broker_url
    settings_fixture.CELERY_TASK_DEFAULT_QUEUE = queue
    app.conf.broker_url = broker_url
    app.conf.broker_transport_options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    kombu.pools.reset()  # producer pools are global, keyed by connection
    app._pool = None
    app.amqp._producer_pool = None


def wait_for(predicate, timeout: float = 30, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
