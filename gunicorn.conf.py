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
