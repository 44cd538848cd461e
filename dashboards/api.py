"""GET /api/v1/dashboards/<section>/: a dashboard section's tables as JSON, for managers."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from amhp_hub.common.api import HasRole
from amhp_hub.common.requests import StaffAPIRequest
from dashboards import reports
from dashboards.forms import PeriodForm
from dashboards.selectors import LONDON


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


class DashboardSectionView(APIView):
    permission_classes = [HasRole]
    roles = {"get": {"manager"}}

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (default: 90 days ago)"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (default: today)"),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: StaffAPIRequest, section: str) -> Response:
        if section not in reports.SECTIONS:
            raise Http404("No such dashboard")
        now = timezone.now()
        form = PeriodForm(request.query_params, today=now.astimezone(LONDON).date())
        if not form.is_valid():
            raise serializers.ValidationError({name: [str(e) for e in errors] for name, errors in form.errors.items()})
        period = form.period
        report = reports.build(section, service_id=request.user.staff_profile.service_id, period=period, now=now)
        return Response(
            {
                "section": report.slug,
                "title": report.title,
                "from": period.first.isoformat(),
                "to": period.last.isoformat(),
                "figures": dict(report.figures),
                "tables": [
                    {
                        "slug": table.slug,
                        "caption": table.caption,
                        "columns": table.columns,
                        "rows": [[_json_value(v) for v in row] for row in table.rows],
                    }
                    for table in report.tables
                ],
            }
        )
