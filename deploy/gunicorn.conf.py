"""gunicorn settings for HTX Market (`gunicorn market.wsgi -c deploy/gunicorn.conf.py`).

Workers × threads: on an N-core host start with 2N+1 workers of 4 threads (the work is mostly
waiting on PostgreSQL and Elasticsearch). The access log is our own JSON request line
(market.observability), so gunicorn's is off. Every knob can be overridden on the command line
or with GUNICORN_CMD_ARGS."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then (bounded memory growth), but rarely: a new worker answers its
# first requests slowly (imports, templates, connections), and at 5,000 requests a worker of the
# load test (~30 requests/s each) was replaced every ~3 minutes, each time with a latency spike.
max_requests = 50_000
max_requests_jitter = 5_000
# heartbeat files in memory, not on a slow disk (gunicorn docs: "blocking OS calls")
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
accesslog = None
errorlog = "-"
loglevel = "warning"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def child_exit(server, worker):
    # Prometheus multiprocess mode: drop the live gauges of a worker that is gone.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


# Garbage collection, once a worker has loaded the app (gunicorn imports market.wsgi in each
# worker after the fork: no preload). Measured on the stack under bench/load.py (40 users, CPU
# time of the collecting thread, per request): 0.82 ms with Python's defaults, 0.62 ms with
# the app frozen, 0.32 ms frozen with a young generation of 10,000; a full collection went from
# ~166 ms to ~69 ms frozen (every thread of the worker waits for it), and to none in a minute
# with the larger young generation.
# - gc.freeze(): the ~186,000 objects of the loaded app (modules, URL patterns, templates,
#   translations) live as long as the worker; frozen, no collection walks them again.
# - 10,000 allocations between young collections (700 by default): a request allocates a few
#   thousand containers and most die by reference counting; the collector's cost is walking
#   the live objects of the requests in flight (8 threads), so fewer young collections cost
#   less in all and promote fewer in-flight objects to the older generations.
GC_YOUNG_THRESHOLD = int(os.environ.get("GC_YOUNG_THRESHOLD", 10_000))


def post_worker_init(worker):
    import gc

    from gunicorn.http import wsgi

    one_send_per_response(wsgi.Response)
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)


# A response's status line and headers in the same send as its first body bytes. gunicorn sends
# them with two: on a keep-alive connection the client wakes for the headers, waits, and wakes
# again for the body, and on a busy host the first wake-up often takes the core from the worker
# before it sends the body (strace: the header send took 0.05 ms, the 30 KB body 0.02 ms; py-spy
# on the bench's HTTP worker: the header send was the largest single part of a search request
# outside the search itself). The bytes on the wire are the same; later body pieces of a
# streamed response are sent as they come, as before.
def one_send_per_response(response_class):
    if response_class.__dict__.get("one_send_per_response"):
        return
    write = response_class.write

    class Held:
        __slots__ = ("data",)

        def __init__(self):
            self.data = b""

        def sendall(self, data):
            self.data += data

    def write_with_headers(self, data):
        if self.headers_sent:
            return write(self, data)
        sock, held = self.sock, Held()
        self.sock = held  # gunicorn's write sends through self.sock: the headers, then the body
        try:
            return write(self, data)
        finally:
            self.sock = sock
            if held.data:
                sock.sendall(held.data)

    write_with_headers.__wrapped__ = write
    response_class.write = write_with_headers
    response_class.one_send_per_response = True
