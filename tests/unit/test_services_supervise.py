"""services/supervise: the stack's Celery worker and beat are started again when they exit, as
systemd (Restart=always) and compose (restart: unless-stopped) do on a real host, and stop for
good when their process group is told to stop (services/stack down)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.unit.test_services_postgres_memory import load_script

REPO = Path(__file__).resolve().parents[2]
SUPERVISE = str(REPO / "services" / "supervise")

# Writes its pid to the file, then exits 1 on its first run (a crash) and waits on the second.
CHILD = (
    "import sys, time\n"
    "runs = open(sys.argv[1], 'a+')\n"
    "runs.seek(0); first = not runs.read()\n"
    "import os; runs.write('%d\\n' % os.getpid()); runs.close()\n"
    "sys.exit(1) if first else time.sleep(60)\n"
)


def wait_for(predicate, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def pids(path):
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


def test_a_process_that_exits_is_started_again_and_the_group_stop_ends_both(tmp_path):
    runs = tmp_path / "runs"
    sup = subprocess.Popen(
        [sys.executable, SUPERVISE, "child", "--", sys.executable, "-c", CHILD, str(runs)],
        start_new_session=True,  # as services/stack spawns it
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(lambda: len(pids(runs)) == 2), "the crashed child was not started again"
        first, second = pids(runs)
        assert first != second and alive(second)
        assert os.getpgid(second) == sup.pid  # in the supervisor's group: a group stop reaches it

        os.killpg(sup.pid, signal.SIGTERM)  # services/stack stop_process
        assert sup.wait(timeout=10) == 128 + signal.SIGTERM  # the child's end, no restart
        assert wait_for(lambda: not alive(second), 5)
        time.sleep(2.5)  # longer than the first restart pause: nothing starts again
        assert len(pids(runs)) == 2
        assert "child exited with 1" in sup.stderr.read()
    finally:
        if sup.poll() is None:
            os.killpg(sup.pid, signal.SIGKILL)


def test_supervise_refuses_a_command_line_without_its_separator():
    r = subprocess.run(
        [sys.executable, SUPERVISE, "worker", "celery"], capture_output=True, text=True
    )

    assert r.returncode == 2 and "usage: services/supervise NAME -- CMD" in r.stderr


def test_the_stack_runs_the_worker_and_beat_under_supervise_and_gunicorn_alone():
    stack = load_script("stack")

    commands = stack.commands()

    assert commands["worker"][:3] == [stack.SUPERVISE, "worker", "--"]
    assert "celery" in commands["worker"] and "worker" in commands["worker"][3:]
    assert commands["beat"][:3] == [stack.SUPERVISE, "beat", "--"]
    assert commands["web"][1:3] == ["-m", "gunicorn"]  # gunicorn's arbiter restarts its workers
