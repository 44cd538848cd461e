"""The notifications page, mark-as-read, and the unread count in the navigation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from assessments.models import Notification
from rota.models import StaffProfile

pytestmark = pytest.mark.django_db


def notice(profile: StaffProfile, key: str, **fields: Any) -> Notification:
    return Notification.objects.create(
        recipient=profile.user, service=profile.service, kind="x", title=fields.pop("title", key), dedupe_key=key
    )


def test_the_page_lists_the_users_notifications_and_shows_the_unread_count(
    logged_in_client: Callable[..., Any], amhp: StaffProfile, consultant: StaffProfile
) -> None:
    notice(amhp, "a", title="Running late: R000001")
    notice(amhp, "b", title="TOIL approved")
    notice(consultant, "c", title="Someone else's")

    response = logged_in_client(amhp).get("/notifications/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Running late: R000001" in body and "TOIL approved" in body and "Someone else" not in body
    assert "Notifications (2" in body


def test_mark_one_and_mark_all_as_read(logged_in_client: Callable[..., Any], amhp: StaffProfile) -> None:
    first, second, third = (notice(amhp, k) for k in "abc")
    client = logged_in_client(amhp)

    assert client.post(f"/notifications/{first.pk}/read/").status_code == 302
    assert list(Notification.objects.filter(read_at__isnull=False)) == [first]
    assert client.post("/notifications/read-all/").status_code == 302
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    del second, third


def test_another_users_notification_is_not_found(
    logged_in_client: Callable[..., Any], amhp: StaffProfile, consultant: StaffProfile
) -> None:
    theirs = notice(consultant, "a")

    assert logged_in_client(amhp).post(f"/notifications/{theirs.pk}/read/").status_code == 404
    assert Notification.objects.get().read_at is None


def test_the_unread_count_stops_at_99_plus_so_a_flood_costs_no_more(
    logged_in_client: Callable[..., Any], amhp: StaffProfile
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assessments.notify import unread_count

    Notification.objects.bulk_create(
        Notification(recipient=amhp.user, service=amhp.service, kind="x", title=f"n{i}", dedupe_key=f"k{i}")
        for i in range(150)
    )
    assert unread_count(user=amhp.user) == (99, True)
    client = logged_in_client(amhp)
    with CaptureQueriesContext(connection) as ctx:
        body = client.get("/rota/").content.decode()
    assert "Notifications (99+" in body
    counting = [q["sql"] for q in ctx.captured_queries if "assessments_notification" in q["sql"]]
    assert len(counting) == 1 and "LIMIT 100" in counting[0]
    Notification.objects.filter(dedupe_key__in=[f"k{i}" for i in range(60)]).update(read_at="2026-01-01T00:00Z")
    assert unread_count(user=amhp.user) == (90, False)
    assert "Notifications (90" in client.get("/rota/").content.decode()
