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
