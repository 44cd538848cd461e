"""REST API for the rota (DESIGN.md sections 5 and 8): shifts, shift types, staff, and who is on duty at an instant."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from amhp_hub.common.api import HasRole
from amhp_hub.common.requests import StaffAPIRequest
from rota import selectors, services
from rota.models import Role, Shift, ShiftKind, ShiftType, StaffProfile

READ_ROLES = {Role.CONSULTANT, Role.AMHP, Role.MANAGER}
WRITE_ROLES = {Role.MANAGER}


class ShiftSerializer(serializers.ModelSerializer):
    staff = serializers.UUIDField(source="staff_id")
    staff_name = serializers.CharField(source="staff.display_name")
    shift_type = serializers.CharField(source="shift_type.code")
    shift_type_name = serializers.CharField(source="shift_type.name")
    locality = serializers.CharField(source="staff.locality")

    class Meta:
        model = Shift
        fields = [
            "id",
            "staff",
            "staff_name",
            "shift_type",
            "shift_type_name",
            "day",
            "starts_at",
            "ends_at",
            "locality",
            "source",
        ]


class ShiftCreateSerializer(serializers.Serializer):
    staff = serializers.UUIDField()
    shift_type = serializers.CharField(max_length=20)
    day = serializers.DateField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        service_id = self.context["service_id"]
        errors: dict[str, list[str]] = {}
        staff = StaffProfile.objects.filter(pk=attrs["staff"], service_id=service_id).select_related("user").first()
        if staff is None:
            errors["staff"] = ["No member of staff in this service has that id"]
        shift_type = ShiftType.objects.filter(service_id=service_id, code=attrs["shift_type"]).first()
        if shift_type is None:
            errors["shift_type"] = [f"No shift type with code {attrs['shift_type']!r} in this service"]
        if errors:
            raise serializers.ValidationError(errors)
        return {"staff": staff, "shift_type": shift_type, "day": attrs["day"]}


class OnDutySerializer(serializers.Serializer):
    staff = serializers.UUIDField(source="staff_id")
    name = serializers.CharField(source="staff.display_name")
    shift_type = serializers.CharField(source="shift_type.code")
    shift_type_name = serializers.CharField(source="shift_type.name")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    locality = serializers.CharField(source="staff.locality")


class OnDutyResponseSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    results = OnDutySerializer(many=True)


class ShiftPagination(LimitOffsetPagination):
    default_limit = 200
    max_limit = 1000


def _bound(value: str | None, name: str, errors: dict[str, list[str]]) -> datetime | None:
    """Read a `from`/`to` value: a date (local midnight) or an ISO 8601 instant with an offset."""
    if not value:
        return None
    parsed: datetime | date | None
    try:
        parsed = parse_date(value) if len(value) == 10 else parse_datetime(value.replace(" ", "+"))
    except ValueError:
        parsed = None
    if parsed is None:
        errors[name] = ["Enter a date (YYYY-MM-DD) or a date and time with an offset (ISO 8601)"]
        return None
    if not isinstance(parsed, datetime):
        return selectors.day_start(parsed)
    if timezone.is_naive(parsed):
        errors[name] = ["Give the time's offset, like 2026-10-25T09:00:00+00:00"]
        return None
    return parsed


class ShiftListView(APIView):
    """GET /api/v1/rota/shifts/ (live shifts overlapping `from`..`to`, default the next 7 days); POST places one."""

    permission_classes = [HasRole]
    roles = {"get": READ_ROLES, "post": WRITE_ROLES}
    pagination_class = ShiftPagination

    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, description="Date or ISO 8601 instant; default: today"),
            OpenApiParameter("to", str, description="Date or ISO 8601 instant; default: 7 days after `from`"),
        ],
        responses=ShiftSerializer(many=True),
    )
    def get(self, request: StaffAPIRequest) -> Response:
        errors: dict[str, list[str]] = {}
        start = _bound(request.query_params.get("from"), "from", errors)
        end = _bound(request.query_params.get("to"), "to", errors)
        if errors:
            raise serializers.ValidationError(errors)
        start = start or selectors.day_start(timezone.localdate())
        end = end or start + timedelta(days=7)
        if end <= start:
            raise serializers.ValidationError({"to": ["`to` must be after `from`"]})
        profile = request.user.staff_profile
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            selectors.shifts_between(service_id=profile.service_id, start=start, end=end), request, self
        )
        return paginator.get_paginated_response(ShiftSerializer(page, many=True).data)

    @extend_schema(request=ShiftCreateSerializer, responses={201: ShiftSerializer})
    def post(self, request: StaffAPIRequest) -> Response:
        context = {"service_id": request.user.staff_profile.service_id}
        serializer = ShiftCreateSerializer(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        shift = services.shift_place(actor=request.user, channel="api", **serializer.validated_data)
        return Response(ShiftSerializer(shift).data, status=status.HTTP_201_CREATED)


class OnDutyView(APIView):
    """GET /api/v1/rota/on-duty/?at=ISO: AMHPs on duty at that instant (default now), not on leave."""

    permission_classes = [HasRole]
    roles = {"get": READ_ROLES}

    @extend_schema(
        parameters=[OpenApiParameter("at", str, description="ISO 8601 instant with offset; default: now")],
        responses=OnDutyResponseSerializer,
    )
    def get(self, request: StaffAPIRequest) -> Response:
        raw = request.query_params.get("at")
        at = timezone.now()
        if raw:
            try:
                parsed = parse_datetime(raw.replace(" ", "+"))  # a bare "+" in a query string arrives as a space
            except ValueError:
                parsed = None
            if parsed is None:
                raise serializers.ValidationError({"at": ["Enter an ISO 8601 date and time, like 2026-10-25T09:00Z"]})
            at = parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
        shifts = selectors.on_duty_at(service_id=request.user.staff_profile.service_id, at=at)
        return Response({"at": timezone.localtime(at).isoformat(), "results": OnDutySerializer(shifts, many=True).data})


class ShiftTypeSerializer(serializers.Serializer):
    """A shift type as DESIGN.md section 8 names it: Europe/London wall-clock `start` and `end`."""

    id = serializers.IntegerField(read_only=True)
    code = serializers.SlugField(max_length=20)
    name = serializers.CharField(max_length=60)
    start = serializers.TimeField(source="start_time", format="%H:%M", help_text="Wall-clock start, Europe/London")
    end = serializers.TimeField(
        source="end_time", format="%H:%M", help_text="Wall-clock end; at or before the start means the next day"
    )
    weekdays_only = serializers.BooleanField(required=False, default=False)
    cover = serializers.IntegerField(source="required_cover", min_value=0, required=False, default=1)
    kind = serializers.ChoiceField(choices=ShiftKind.choices, required=False, default=ShiftKind.DAY)


# The service's field names, as the API calls them.
SHIFT_TYPE_API_FIELDS = {"start_time": "start", "end_time": "end", "required_cover": "cover"}


class ShiftTypeListView(APIView):
    """GET /api/v1/rota/shift-types/: the service's shift types; POST (managers) adds one."""

    permission_classes = [HasRole]
    roles = {"get": READ_ROLES, "post": WRITE_ROLES}

    @extend_schema(responses=ShiftTypeSerializer(many=True))
    def get(self, request: StaffAPIRequest) -> Response:
        types = selectors.shift_types_for(service_id=request.user.staff_profile.service_id)
        return Response(ShiftTypeSerializer(types, many=True).data)

    @extend_schema(request=ShiftTypeSerializer, responses={201: ShiftTypeSerializer})
    def post(self, request: StaffAPIRequest) -> Response:
        serializer = ShiftTypeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            shift_type = services.shift_type_create(
                actor=request.user, service=request.user.staff_profile.service, **serializer.validated_data
            )
        except ValidationError as exc:
            raise serializers.ValidationError(
                {SHIFT_TYPE_API_FIELDS.get(field, field): messages for field, messages in exc.message_dict.items()}
            ) from exc
        return Response(ShiftTypeSerializer(shift_type).data, status=status.HTTP_201_CREATED)


class StaffSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    role = serializers.ChoiceField(choices=Role.choices)
    name = serializers.CharField(source="display_name")
    approval_expires_on = serializers.DateField(
        source="warrant_expires_on", allow_null=True, help_text="End of the current AMHP approval (AMHPs only)"
    )
    on_duty_now = serializers.BooleanField(help_text="On a shift now and not on leave")


class StaffListView(APIView):
    """GET /api/v1/staff/: the service's staff with their role, name, approval end and whether on duty now."""

    permission_classes = [HasRole]
    roles = {"get": READ_ROLES}

    @extend_schema(
        parameters=[OpenApiParameter("role", str, enum=list(Role.values), description="Only staff in this role")],
        responses=StaffSerializer(many=True),
    )
    def get(self, request: StaffAPIRequest) -> Response:
        service_id = request.user.staff_profile.service_id
        role = request.query_params.get("role")
        if role and role not in Role.values:
            raise serializers.ValidationError({"role": [f"Choose one of: {', '.join(Role.values)}"]})
        people = list(selectors.staff_of(service_id=service_id, role=role or None))
        on_duty = set(selectors.on_duty_at(service_id=service_id, at=timezone.now()).values_list("staff_id", flat=True))
        for person in people:
            person.on_duty_now = person.pk in on_duty  # type: ignore[attr-defined]
        return Response(StaffSerializer(people, many=True).data)
