"""Real threads released together: the helper of the concurrency tests."""

import threading

from django.db import connection


def race(fns):
    """Run each callable in its own thread at the same moment; returns outcomes in order."""
    barrier, outcomes = threading.Barrier(len(fns)), [None] * len(fns)

    def run(i, fn):
        try:
            barrier.wait()
            outcomes[i] = ("ok", fn())
        except Exception as exc:  # collected and asserted on by the test
            outcomes[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes
