"""gunicorn settings for the web container (and the benchmark's load figures).

Threads, not processes alone: most of a request's time is spent waiting on PostgreSQL, so each
worker process serves THREADS requests at once (gthread), and each thread keeps its database
connection open between requests (CONN_MAX_AGE, with health checks). WEB_CONCURRENCY sets the
worker processes (default: two per core, at least two).
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, 2 * multiprocessing.cpu_count())))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
keepalive = 5
timeout = 30
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None


def _gc_thresholds() -> tuple[int, ...]:
    """The collector's thresholds for a worker: WEB_GC_THRESHOLD, as three comma-separated whole numbers."""
    raw = os.environ.get("WEB_GC_THRESHOLD", "50000,50,100")
    return tuple(int(part) for part in raw.split(","))


def post_worker_init(worker: object) -> None:
    """Fewer garbage-collector passes in each worker, once it has loaded the application.

    The objects made at start-up (Django, the models, the URL patterns) are moved out of the collector's way
    (gc.freeze), and a young-generation pass runs after 50,000 new container objects rather than Python's
    default 700. A request makes tens of thousands of short-lived objects (query sets, model instances,
    template contexts) that reference counting frees when the request ends; the collector is only needed for
    cycles. WEB_GC_THRESHOLD="700,10,10" restores Python's default.
    """
    import gc

    gc.freeze()
    gc.set_threshold(*_gc_thresholds())
