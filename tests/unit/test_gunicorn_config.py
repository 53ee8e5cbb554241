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


@pytest.fixture(autouse=True)
def gunicorn_response():
    """The worker hook patches gunicorn's response class: put it back after each test."""
    from gunicorn.http import wsgi

    saved = dict(wsgi.Response.__dict__)
    yield wsgi.Response
    for name in ("write", "one_send_per_response"):
        if name in saved:
            setattr(wsgi.Response, name, saved[name])
        elif name in wsgi.Response.__dict__:
            delattr(wsgi.Response, name)


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


class _Socket:
    """What gunicorn's response writes on the connection, one entry per send."""

    def __init__(self):
        self.sends = []

    def sendall(self, data):
        self.sends.append(bytes(data))


def _respond(response_class, method, headers, pieces):
    from types import SimpleNamespace

    from gunicorn.config import Config

    request = SimpleNamespace(method=method, version=(1, 1), should_close=lambda: False)
    sock = _Socket()
    response = response_class(request, sock, Config())
    response.start_response("200 OK", headers)
    for piece in pieces:
        response.write(piece)
    response.close()
    return sock.sends


@pytest.fixture
def response_classes():
    """gunicorn's own response and the same class once the worker hook has run."""
    from gunicorn.http import wsgi

    class Plain(wsgi.Response):
        pass

    class Joined(wsgi.Response):
        pass

    plain_write = wsgi.Response.write  # as gunicorn ships it (the autouse fixture restores it)
    assert not hasattr(plain_write, "__wrapped__")
    Plain.write = plain_write
    Joined.write = plain_write
    runpy.run_path(str(CONFIG))["one_send_per_response"](Joined)
    return Plain, Joined


JSON = [("Content-Type", "application/json"), ("Content-Length", "30000")]


@pytest.mark.parametrize(
    "method,headers,pieces,plain_sends,joined_sends",
    [
        ("GET", JSON, [b"x" * 30_000], 2, 1),  # a search answer: headers and body in one send
        ("GET", [("Content-Length", "5")], [b"hello world"], 2, 1),  # cut at its length
        ("HEAD", JSON, [b"x" * 30_000], 1, 1),  # no body: the headers alone
        ("GET", [("Content-Type", "text/plain")], [b"one", b"two"], 4, 3),  # chunked stream
        ("GET", [("Content-Length", "0")], [], 1, 1),  # nothing written: close sends headers
    ],
)
def test_a_worker_sends_a_responses_headers_with_its_first_body_bytes(
    response_classes, method, headers, pieces, plain_sends, joined_sends
):
    plain, joined = response_classes

    sent_plain = _respond(plain, method, headers, pieces)
    sent_joined = _respond(joined, method, headers, pieces)

    # the same bytes on the wire, in fewer sends
    assert b"".join(sent_joined) == b"".join(sent_plain)
    assert (len(sent_plain), len(sent_joined)) == (plain_sends, joined_sends)
    assert sent_joined[0].startswith(b"HTTP/1.1 200 OK\r\n")
    if method == "GET" and headers != [("Content-Type", "text/plain")] and pieces:
        assert sent_joined[0].endswith(pieces[0][: int(dict(headers)["Content-Length"])])


def test_the_worker_hook_joins_the_headers_of_every_response_of_the_worker(
    gc_state, gunicorn_response
):
    shipped = type("Shipped", (gunicorn_response,), {"write": gunicorn_response.write})
    config = runpy.run_path(str(CONFIG))

    config["post_worker_init"](worker=None)
    config["post_worker_init"](worker=None)  # a second call adds no second wrapper

    assert gunicorn_response.write.__wrapped__ is shipped.write
    sent = _respond(gunicorn_response, "GET", JSON, [b"x" * 30_000])
    assert sent == [b"".join(_respond(shipped, "GET", JSON, [b"x" * 30_000]))]
