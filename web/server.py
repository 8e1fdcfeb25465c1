"""The production servers: gunicorn's pre-fork workers where the platform has them, else waitress.

`serve --workers N` runs N gunicorn worker processes over the same index. Each worker builds
its own app and Engine after the fork (the index files are shared through the page cache)
and notices a new index generation on its own, as every Engine does. The workers are
gevent workers: a connection that is slow to send its request costs a greenlet, not a
thread, so slow or half-open connections (slowloris) cannot take every worker; searches
themselves run one at a time per worker, which is what a core can do anyway, and each
connection is closed after its answer so that the next request goes to a free worker. Where gunicorn
cannot run (Windows), waitress serves in one process.

Limits are set here on purpose, for both servers (see README "Running it for others"):
connections per process, idle timeouts, request line and header sizes. Neither server
bounds the total time a client may take to send its headers; listening beyond loopback,
put a reverse proxy in front that does (nginx's `client_header_timeout`, `limit_conn`).
"""

from __future__ import annotations

import gc
import importlib.util
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask

from settings import Settings

log = logging.getLogger(__name__)

# Connections one process keeps open at once. Waitress's default of 100 is what 120
# half-open connections exhausted (issue 15); past this many, new ones wait in the backlog.
CONNECTION_LIMIT = 1000
# Seconds a connection may stay silent (no bytes either way) before it is closed.
IDLE_TIMEOUT = 60
# Seconds a kept-alive connection is held between two requests (gunicorn): none. A kept-alive
# connection stays with the worker that accepted it, so a worker with a slow request (a CSV
# export, a trend) holds up its other clients' requests while the other worker may idle; closed
# after each answer, every request is accepted by a free worker. Measured with `bench --load`
# (2 workers, 20 clients, quiet cores): p95 585 → 136 ms, throughput 204 → 216 requests/s.
KEEPALIVE = 0
# Seconds a gunicorn worker may spend on one request before the arbiter restarts it. Not less:
# the first speaker filter or person page of a worker builds the index's people (every stored
# document read: 32 s at 100 copies of the corpus on quiet cores, 62 s on busy ones), and a
# worker restarted for it would start again from nothing on the next such request, for ever.
WORKER_TIMEOUT = 300
# The longest request line (a search URL with many filters) and header we accept.
MAX_REQUEST_LINE = 8190
MAX_HEADER_FIELDS = 100
MAX_HEADER_BYTES = 16 * 1024
MAX_BODY_BYTES = 1024 * 1024  # the API takes GET requests; this only bounds a stray POST
BACKLOG = 2048


@dataclass(frozen=True)
class Limits:
    """Connection limits and timeouts, the same in spirit for both servers."""

    connections: int = CONNECTION_LIMIT
    idle_timeout: int = IDLE_TIMEOUT
    keepalive: int = KEEPALIVE
    worker_timeout: int = WORKER_TIMEOUT


def gunicorn_available() -> bool:
    """Whether gunicorn and its gevent workers can run here (not on Windows, which has no fork)."""
    if os.name == "nt":
        return False
    return all(importlib.util.find_spec(name) is not None for name in ("gunicorn", "gevent"))


def default_workers() -> int:
    """One worker process per core."""
    return os.cpu_count() or 1


def waitress_options(settings: Settings, threads: int, limits: Limits = Limits()) -> dict[str, Any]:
    """Keyword arguments of `waitress.serve`: where to listen and the limits."""
    return {
        "host": settings.host,
        "port": settings.port,
        "threads": threads,
        "ident": "verbatim",
        "connection_limit": limits.connections,
        "channel_timeout": limits.idle_timeout,
        "cleanup_interval": 10,
        "backlog": BACKLOG,
        "max_request_header_size": MAX_HEADER_BYTES,
        "max_request_body_size": MAX_BODY_BYTES,
        # select() cannot watch descriptors above 1024; poll() can, and we allow 1000 connections.
        "asyncore_use_poll": True,
    }


def serve_waitress(app: Flask, settings: Settings, threads: int, limits: Limits = Limits()) -> None:
    """One process, `threads` threads: waitress reads requests asynchronously, then hands them to a thread."""
    import waitress

    # Under load waitress warns once per queued request; a queue is normal, not a fault.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    waitress.serve(app, **waitress_options(settings, threads, limits))


def gunicorn_options(settings: Settings, workers: int, limits: Limits = Limits()) -> dict[str, Any]:
    """gunicorn's settings: the workers, where to listen and the limits."""
    return {
        "bind": [f"[{settings.host}]:{settings.port}" if ":" in settings.host else f"{settings.host}:{settings.port}"],
        "workers": workers,
        "worker_class": "gevent",
        "worker_connections": limits.connections,
        "backlog": BACKLOG,
        "timeout": limits.worker_timeout,
        "graceful_timeout": 10,
        "keepalive": limits.keepalive,
        "limit_request_line": MAX_REQUEST_LINE,
        "limit_request_fields": MAX_HEADER_FIELDS,
        "limit_request_field_size": MAX_HEADER_BYTES,
        # Each worker opens the index itself after the fork: nothing is shared but the page cache.
        "preload_app": False,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "verbatim",
    }


def worker_app(settings: Settings, warm: bool = True) -> Flask:
    """The app of one worker process: its own Engine, long-lived objects frozen out of the GC's way."""
    from web import create_app, warm_up

    app = create_app(settings)
    # Long-lived objects (index columns, caches) need no cyclic GC passes: freezing them
    # removes the ~80 ms collection pauses the benchmark measured.
    gc.collect()
    gc.freeze()
    if warm:
        warm_up(app)
    return app


def serve_gunicorn(
    settings: Settings,
    workers: int,
    limits: Limits = Limits(),
    make_app: Callable[[Settings], Flask] = worker_app,
) -> None:
    """Run `workers` gunicorn worker processes until stopped (SIGINT/SIGTERM)."""
    from gunicorn.app.base import BaseApplication

    options = gunicorn_options(settings, workers, limits)

    class Server(BaseApplication):  # type: ignore[misc]
        """gunicorn driven from code, with no configuration file or command line of its own."""

        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return make_app(settings)

    Server().run()
