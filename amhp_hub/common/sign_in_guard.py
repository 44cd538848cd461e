"""Guards in front of the password check, so guessing passwords cannot starve everyone else.

A password check is deliberately slow (PBKDF2: about 0.3 s of CPU). Two guards sit in front of it,
on the sign-in page and the token endpoint alike, and both answer 429 at once, before any hashing:

* per client address, at most SIGN_IN_BURST attempts in a 10-second window and
  SIGN_IN_ATTEMPTS_PER_MINUTE a minute (counters in the shared cache, so across processes);
* per web process, at most SIGN_IN_CONCURRENCY password checks at the same moment. A check that
  cannot start within a quarter of a second is refused ("busy, try again"), so no request thread
  waits on another's hashing and the rest of the hub keeps its threads and its CPU.

django-axes still locks a username after five failures; these limit the cost of trying.

On the sign-in page the per-address limit is kept by SignInRateLimitMiddleware, ahead of the session,
CSRF, authentication and lockout middleware: a flood of guesses is answered for about half of what a
refusal cost in the view, so less of the machine goes on refusing guesses and more on everyone else.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control

from amhp_hub.common.security import client_ip

_slots_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None
_slots_size = 0
WAIT_SECONDS = 0.25


def _count(key: str, window_seconds: int) -> int:
    """Count one more in KEY's window of WINDOW_SECONDS (from its first count) and return the count.

    The increment comes first: in a flood of attempts, which is when this runs most, the window is
    already open, so an attempt costs the increment alone (with Redis, two round trips, not three).
    """
    try:
        return int(cache.incr(key))
    except ValueError:  # no window open: this attempt opens one
        if cache.add(key, 1, timeout=window_seconds):
            return 1
        try:
            return int(cache.incr(key))  # another request opened it meanwhile
        except ValueError:  # and it expired again at once
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


TOO_MANY = "Too many sign-in attempts from your network. Wait a minute and try again."
BUSY = "Many people are signing in at once. Wait a moment and try again."


def refused(request: HttpRequest, message: str, retry_after: int = 60) -> HttpResponse:
    """The sign-in page's 429: MESSAGE, and Retry-After RETRY_AFTER seconds."""
    response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(retry_after)
    # As the later middleware would (a refusal made before them does not pass through them).
    patch_cache_control(response, no_store=True)
    response.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
    return response


class SignInRateLimitMiddleware:
    """Count each POST to the sign-in page against its address's limits, and refuse it (429) when over them.

    It runs before the session, CSRF, authentication and lockout middleware, so a refused guess costs none of
    them. It only ever refuses: an attempt within the limits goes on through all of them to the view.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._path: str | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path_info == self._sign_in_path():
            if too_many_attempts(client_ip(request)):
                request.user = AnonymousUser()  # for the page's template: no session is read for a refusal
                return refused(request, TOO_MANY)
        return self.get_response(request)

    def _sign_in_path(self) -> str:
        if self._path is None:
            self._path = reverse(settings.LOGIN_URL)
        return self._path
