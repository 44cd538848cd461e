"""Shared fixtures: services, staff of each role, API clients and referrals made through the services."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from referrals import services as referral_services
from referrals.models import Referral
from referrals.nhs_number import generate_nhs_number
from rota.models import Service, StaffProfile
from rota.services import service_get_or_create, staff_create

PASSWORD = "correct-horse-battery-staple"
_usernames = itertools.count(1)


@pytest.fixture(autouse=True)
def _mfa_verified_test_logins(request: pytest.FixtureRequest) -> Any:
    """Make every test sign-in (force_login, the login page) MFA-verified, as django-otp's otp_login does.

    The user gets a confirmed TOTP device and its persistent id goes in the session, so tests written
    before MFA keep working. Tests of the real flow opt out with @pytest.mark.real_mfa.
    """
    if request.node.get_closest_marker("real_mfa"):
        yield
        return
    from django.contrib.auth.signals import user_logged_in
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def verify(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
        if request is None or not hasattr(request, "session"):
            return
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Test authenticator", confirmed=True)
        request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id

    user_logged_in.connect(verify, dispatch_uid="tests_mfa_verified_login")
    yield
    user_logged_in.disconnect(dispatch_uid="tests_mfa_verified_login")


@pytest.fixture(scope="session", autouse=True)
def _cache_of_its_own(request: pytest.FixtureRequest) -> Any:
    """With Redis, each test process keeps its cache in a Redis database of its own, after REDIS_URL's.

    REDIS_URL's database (the broker's) + 1 + the xdist worker's index.

    Each test clears the cache; in a shared database one process's clear would wipe another's rate-limit
    counters mid-test, and the Celery queues that the real-worker tests send through.
    """
    from django.conf import settings
    from django.test import override_settings

    if not getattr(settings, "REDIS_URL", ""):
        yield
        return
    from urllib.parse import urlsplit, urlunsplit

    worker = getattr(request.config, "workerinput", {}).get("workerid", "gw-1")
    index = int(worker.removeprefix("gw")) + 1
    parts = urlsplit(settings.REDIS_URL)
    base = int(parts.path.strip("/") or 0)
    location = urlunsplit(parts._replace(path=f"/{base + 1 + index}"))
    with override_settings(CACHES={"default": {**settings.CACHES["default"], "LOCATION": location}}):
        yield


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request: pytest.FixtureRequest) -> Any:
    """Throttle and lockout counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def service(db: Any) -> Service:
    return service_get_or_create(name="Riverside AMHP Hub")


@pytest.fixture
def other_service(db: Any) -> Service:
    return service_get_or_create(name="Hillside AMHP Service")


@pytest.fixture
def make_staff(db: Any) -> Callable[..., StaffProfile]:
    def make(role: str, service: Service, **profile: Any) -> StaffProfile:
        n = next(_usernames)
        if role == "amhp":
            # An AMHP acts only with an approval in date (SI 2008/1206): two years ahead unless a test says otherwise.
            profile.setdefault("warrant_expires_on", timezone.localdate() + timedelta(days=730))
        return staff_create(
            username=profile.pop("username", f"{role}{n}"),
            service=service,
            role=role,
            password=PASSWORD,
            first_name=profile.pop("first_name", role.title()),
            last_name=profile.pop("last_name", f"Number{n}"),
            check_password=False,
            **profile,
        )

    return make


@pytest.fixture
def consultant(make_staff: Callable[..., StaffProfile], service: Service) -> StaffProfile:
    return make_staff("consultant", service)


@pytest.fixture
def manager(make_staff: Callable[..., StaffProfile], service: Service) -> StaffProfile:
    return make_staff("manager", service)


@pytest.fixture
def amhp(make_staff: Callable[..., StaffProfile], service: Service) -> StaffProfile:
    return make_staff("amhp", service, locality="North", languages=["Polish"])


@pytest.fixture
def api_client_for() -> Callable[[StaffProfile], APIClient]:
    def make(profile: StaffProfile) -> APIClient:
        token, _ = Token.objects.get_or_create(user=profile.user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


TEST_TOTP_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


@pytest.fixture
def otp_for() -> Callable[[StaffProfile], str]:
    """Give a member of staff a known authenticator (if they have none) and return its current code."""
    from amhp_hub.common import mfa

    def code(profile: StaffProfile) -> str:
        device = mfa.confirmed_totp(profile.user) or mfa.provision_totp(profile.user, TEST_TOTP_SECRET)
        return mfa.current_code(device)

    return code


@pytest.fixture
def consultant_api(api_client_for: Callable[[StaffProfile], APIClient], consultant: StaffProfile) -> APIClient:
    return api_client_for(consultant)


@pytest.fixture
def rng_nhs() -> Callable[[], str]:
    import random

    rng = random.Random(42)
    return lambda: generate_nhs_number(rng)


@pytest.fixture
def make_referral(rng_nhs: Callable[[], str]) -> Callable[..., Referral]:
    """Create a referral through the intake service, as the form and API do."""

    def make(
        service: Service, actor: Any, *, now: datetime | None = None, draft: bool = False, **data: Any
    ) -> Referral:
        now = now or timezone.now()
        values: dict[str, Any] = {
            "nhs_number": rng_nhs(),
            "given_name": "Alex",
            "family_name": "Example",
            "legal_status": "community",
            "reason": "Low mood and not eating; family worried.",
            "received_at": now - timedelta(minutes=5),
            "nearest_relative_name": "Jo Example",
        }
        person_match = data.pop("person_match", None)
        values.update(data)
        return referral_services.referral_create(
            service=service, actor=actor, data=values, draft=draft, now=now, person_match=person_match
        )

    return make


@pytest.fixture
def logged_in_client(client: Any) -> Callable[[StaffProfile], Any]:
    def login(profile: StaffProfile) -> Any:
        client.force_login(profile.user)
        return client

    return login


def on_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


requires_postgres = pytest.mark.skipif(
    "postgres" not in os.environ.get("DATABASE_URL", ""), reason="needs PostgreSQL (DATABASE_URL)"
)


def is_write(sql: str) -> bool:
    """Whether a logged statement writes rows: an INSERT (an executemany's is logged as "N times: INSERT") or COPY."""
    return re.match(r"(\d+ times: )?(INSERT|COPY)\b", sql.lstrip(), re.IGNORECASE) is not None


@pytest.fixture(autouse=True)
def _api_responses_match_the_schema(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every successful API response in every test is checked against the generated OpenAPI schema."""
    from tests.openapi import check_response

    checked: list[tuple[str, str]] = []
    original = APIClient.request

    def request(self: APIClient, **kwargs: Any) -> Any:
        response = original(self, **kwargs)
        if not getattr(response, "streaming", False):
            op = check_response(
                kwargs.get("REQUEST_METHOD", "GET"),
                kwargs.get("PATH_INFO", ""),
                response.status_code,
                response.get("Content-Type", ""),
                response.content,
            )
            if op is not None:
                checked.append(op)
                _API_OPERATIONS_CHECKED.add(op)
        return response

    monkeypatch.setattr(APIClient, "request", request)
    return checked


# --- Every documented API operation is exercised -------------------------------------------------
# Each successful API response is checked against the schema (above); when the whole suite runs, the
# session also fails if any operation the schema documents was never answered successfully in it.
_API_OPERATIONS_CHECKED: set[tuple[str, str]] = set()


def _whole_suite(config: pytest.Config) -> bool:
    """Whether this run collects every test (no file, node or keyword chosen); -m may leave out journeys."""
    if config.option.keyword or getattr(config.option, "lf", False) or config.option.deselect:
        return False
    return config.args_source == pytest.Config.ArgsSource.TESTPATHS


def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist: gather what each worker exercised."""
    for method, template in getattr(node, "workeroutput", {}).get("api_operations", []):
        _API_OPERATIONS_CHECKED.add((method, template))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if hasattr(config, "workerinput"):
        # pytest-xdist adds workerinput/workeroutput to a worker's Config at run time; pytest's types do not have them.
        config.workeroutput["api_operations"] = sorted(_API_OPERATIONS_CHECKED)  # type: ignore[attr-defined]
        return
    if exitstatus != 0 or not _whole_suite(config):
        return
    from tests.openapi import operations

    missing = sorted(operations() - _API_OPERATIONS_CHECKED, key=lambda op: (op[1], op[0]))
    if missing:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        lines = "\n".join(f"  {method} {template}" for method, template in missing)
        message = f"No test received a successful response from these documented API operations:\n{lines}"
        if reporter is not None:
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
