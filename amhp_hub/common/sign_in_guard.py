"""Guards in front of the password check, so guessing passwords cannot starve everyone else.

A password check is deliberately slow (PBKDF2: about 0.3 s of CPU). Two guards sit in front of it,
on the sign-in page and the token endpoint alike, and both answer 429 at once, before any hashing:

* per client address, at most SIGN_IN_BURST attempts in a 10-second window and
  SIGN_IN_ATTEMPTS_PER_MINUTE a minute (counters in the shared cache, so across processes);
* per web process, at most SIGN_IN_CONCURRENCY password checks at the same moment. A check that
  cannot start within a quarter of a second is refused ("busy, try again"), so no request thread
  waits on another's hashing and the rest of the hub keeps its threads and its CPU.

django-axes still locks a username after five failures; these limit the cost of trying.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache

_slots_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None
_slots_size = 0
WAIT_SECONDS = 0.25


def _count(key: str, window_seconds: int) -> int:
    cache.add(key, 0, timeout=window_seconds)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds)
        return 1


def too_many_attempts(ip: str | None) -> bool:
    """Count an attempt from IP; True when it goes over the burst (10 s) or the per-minute limit."""
    address = ip or "unknown"
    burst = _count(f"sign-in-burst:{address}", 10)
    minute = _count(f"sign-in-rate:{address}", 60)
    return burst > settings.SIGN_IN_BURST or minute > settings.SIGN_IN_ATTEMPTS_PER_MINUTE


def _semaphore() -> threading.BoundedSemaphore:
    global _slots, _slots_size
    size = max(1, settings.SIGN_IN_CONCURRENCY)
    with _slots_lock:
        if _slots is None or _slots_size != size:
            _slots, _slots_size = threading.BoundedSemaphore(size), size
        return _slots


@contextmanager
def password_check_slot() -> Iterator[bool]:
    """Yield True holding one of this process's password-check slots, or False if none came free in time."""
    slots = _semaphore()
    acquired = slots.acquire(timeout=WAIT_SECONDS)
    try:
        yield acquired
    finally:
        if acquired:
            slots.release()
