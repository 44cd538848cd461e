"""REST API for the doctor directory (DESIGN.md section 8): GET, POST /api/v1/doctors/ and one doctor."""

from __future__ import annotations

from typing import Any

from django.core.validators import EmailValidator
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from amhp_hub.common.api import HasRole
from amhp_hub.common.requests import StaffAPIRequest
from rota import doctor_selectors, doctor_services, doctors
from rota.models import DirectoryDoctor, Role

READ_ROLES = {Role.CONSULTANT, Role.AMHP, Role.MANAGER}
WRITE_ROLES = {Role.CONSULTANT, Role.MANAGER}


class WindowSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 Monday ... 6 Sunday")
    start = serializers.RegexField(r"^\d{2}:\d{2}$", help_text="Europe/London wall-clock HH:MM")
    end = serializers.RegexField(r"^\d{2}:\d{2}$", help_text="before the start: runs past midnight")


class DoctorSerializer(serializers.ModelSerializer):
    languages = serializers.ListField(child=serializers.CharField(max_length=60), required=False)
    areas = serializers.ListField(child=serializers.CharField(max_length=80), required=False)
    availability = WindowSerializer(many=True, required=False)
    # Blank or an address: documented as one string, so the schema has no overlapping alternatives.
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)

    def validate_email(self, value: str) -> str:
        if value:
            EmailValidator(message="Enter a valid email address.")(value)
        return value

    likely_available_now = serializers.SerializerMethodField()
    s12_in_date = serializers.SerializerMethodField()
    availability_bands = serializers.SerializerMethodField()

    class Meta:
        model = DirectoryDoctor
        fields = [
            "id",
            "name",
            "gmc_number",
            "s12_approved",
            "s12_approval_expires_on",
            "s12_in_date",
            "languages",
            "areas",
            "availability",
            "availability_bands",
            "likely_available_now",
            "phone",
            "email",
            "active",
        ]
        read_only_fields = ["id"]

    def _now(self) -> Any:
        return self.context.get("now") or timezone.now()

    def get_likely_available_now(self, obj: DirectoryDoctor) -> bool:
        return doctors.likely_available(doctor_selectors.windows_of(obj), self._now())

    def get_s12_in_date(self, obj: DirectoryDoctor) -> bool:
        today = timezone.localdate(self._now())
        return doctors.s12_approval_in_date(
            approved=obj.s12_approved, expires_on=obj.s12_approval_expires_on, on_day=today
        )

    def get_availability_bands(self, obj: DirectoryDoctor) -> list[str]:
        return doctors.availability_bands(doctor_selectors.windows_of(obj))


def _service_id(request: StaffAPIRequest) -> int:
    return request.user.staff_profile.service_id


class DoctorListView(APIView):
    """GET: the service's directory (those likely available now first with ?available=1); POST: add a doctor."""

    permission_classes = [HasRole]
    roles = {"get": READ_ROLES, "post": WRITE_ROLES}

    @extend_schema(responses=DoctorSerializer(many=True))
    def get(self, request: StaffAPIRequest) -> Response:
        rows = doctor_selectors.directory_rows(
            service_id=_service_id(request),
            at=timezone.now(),
            likely_first=request.query_params.get("available") == "1",
        )
        return Response(DoctorSerializer([r.doctor for r in rows], many=True).data)

    @extend_schema(request=DoctorSerializer, responses={201: DoctorSerializer})
    def post(self, request: StaffAPIRequest) -> Response:
        serializer = DoctorSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        doctor = doctor_services.doctor_create(
            service_id=_service_id(request), actor=request.user, data=serializer.validated_data, channel="api"
        )
        return Response(DoctorSerializer(doctor).data, status=status.HTTP_201_CREATED)


class DoctorDetailView(APIView):
    """GET, PATCH /api/v1/doctors/{id}/."""

    permission_classes = [HasRole]
    roles = {"get": READ_ROLES, "patch": WRITE_ROLES}

    def _get(self, request: StaffAPIRequest, pk: int) -> DirectoryDoctor:
        return get_object_or_404(DirectoryDoctor, pk=pk, service_id=_service_id(request))

    @extend_schema(responses=DoctorSerializer)
    def get(self, request: StaffAPIRequest, pk: int) -> Response:
        return Response(DoctorSerializer(self._get(request, pk)).data)

    @extend_schema(request=DoctorSerializer, responses=DoctorSerializer)
    def patch(self, request: StaffAPIRequest, pk: int) -> Response:
        doctor = self._get(request, pk)
        serializer = DoctorSerializer(doctor, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        doctor = doctor_services.doctor_update(
            doctor=doctor, actor=request.user, data=serializer.validated_data, channel="api"
        )
        return Response(DoctorSerializer(doctor).data)
