"""The service's one time zone. Times are stored in UTC and shown, and counted in days, in Europe/London."""

from __future__ import annotations

from zoneinfo import ZoneInfo

SERVICE_TIME_ZONE = "Europe/London"
LONDON = ZoneInfo(SERVICE_TIME_ZONE)
