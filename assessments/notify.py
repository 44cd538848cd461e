"""In-app notifications and their email: the writes, the reads, and the email sender."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import mail
from django.db import models
from django.utils import timezone

from amhp_hub.common.statements import Statement
from assessments.models import Notification

logger = logging.getLogger(__name__)


def notification_send(
    *,
    recipient_id: int,
    service_id: int,
    kind: str,
    title: str,
    dedupe_key: str,
    body: str = "",
    url: str = "",
) -> bool:
    """Create an in-app notification (emailed by the next email run); return False if it already existed.

    The dedupe key makes a repeat call a no-op, so callers inside retried work notify once.
    """
    _, created = Notification.objects.get_or_create(
        recipient_id=recipient_id,
        dedupe_key=dedupe_key[:120],
        defaults={"service_id": service_id, "kind": kind, "title": title[:200], "body": body, "url": url},
    )
    return created


def notifications_for(*, user: Any) -> models.QuerySet[Notification]:
    """The user's notifications, newest first (index recipient, read_at, created_at)."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


UNREAD_CAP = 99


def _unread(*, recipient_id: int, cap: int) -> models.QuerySet[Any]:
    return Notification.objects.filter(recipient_id=recipient_id, read_at__isnull=True).values_list("pk", flat=True)[
        : cap + 1
    ]


# Every page's navigation shows the count: compiled once per thread (amhp_hub.common.statements).
_UNREAD: Statement[int] = Statement(lambda recipient_id: _unread(recipient_id=recipient_id, cap=UNREAD_CAP))


def unread_count(*, user: Any, cap: int = UNREAD_CAP) -> tuple[int, bool]:
    """Return (unread, capped): exact up to CAP, else (CAP, True). Reads at most CAP + 1 index entries."""
    rows = _UNREAD.run(recipient_id=user.pk) if cap == UNREAD_CAP else list(_unread(recipient_id=user.pk, cap=cap))
    n = len(rows)
    return min(n, cap), n > cap


def unread_badge(*, user: Any) -> int | str:
    """The unread count as the navigation shows it: the number, or "99+" beyond the cap."""
    n, capped = unread_count(user=user)
    return f"{n}+" if capped else n


def notifications_mark_read(*, user: Any, ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Mark the user's unread notifications (all, or those in IDS) read in one UPDATE; return how many."""
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=now or timezone.now())


def send_pending_emails(*, now: datetime, limit: int = 200) -> int:
    """Email up to LIMIT notifications not yet emailed, oldest first; return how many were sent.

    Recipients without an email address are never picked. A failure to send leaves every
    notification of the batch for the next run (the exception propagates so the task
    retries). Two statements and one connection to the mail server.
    """
    batch = list(
        Notification.objects.filter(emailed_at__isnull=True)
        .exclude(recipient__email="")
        .select_related("recipient")
        .order_by("created_at", "id")[:limit]
    )
    if not batch:
        return 0
    base = settings.SITE_URL.rstrip("/")
    messages = [
        mail.EmailMessage(
            subject=f"AMHP Hub: {n.title}"[:200],
            body="\n\n".join(part for part in (n.title, n.body, f"{base}{n.url}" if n.url else "") if part),
            to=[n.recipient.email],
        )
        for n in batch
    ]
    with mail.get_connection(fail_silently=False) as connection:
        connection.send_messages(messages)
    Notification.objects.filter(pk__in=[n.pk for n in batch], emailed_at__isnull=True).update(emailed_at=now)
    logger.info("emailed %d notifications", len(batch))
    return len(batch)
