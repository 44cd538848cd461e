"""REST API for a case's requests (DESIGN.md section 8): GET, POST /referrals/{id}/requests/ and PATCH one."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from amhp_hub.common.api import HasRole
from amhp_hub.common.requests import StaffAPIRequest
from assessments import request_selectors, request_services
from assessments.models import CaseRequest, RequestKind, RequestOutcome
from referrals.models import Referral
from referrals.selectors import referrals_visible_to

ROLES = {"consultant", "manager", "amhp"}


class CaseRequestSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=RequestKind.choices)
    outcome = serializers.ChoiceField(choices=RequestOutcome.choices, required=False)
    to = serializers.CharField(max_length=200, required=False, allow_blank=True)
    doctor = serializers.IntegerField(source="doctor_id", required=False, allow_null=True)

    class Meta:
        model = CaseRequest
        fields = [
            "id",
            "kind",
            "requested_at",
            "to",
            "doctor",
            "outcome",
            "arrived_at",
            "ward",
            "out_of_area",
            "notes",
            "times_known",
        ]
        read_only_fields = ["id", "times_known"]


class CaseRequestUpdateSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=RequestOutcome.choices, required=False)
    arrived_at = serializers.DateTimeField(required=False, allow_null=True)
    to = serializers.CharField(max_length=200, required=False, allow_blank=True)
    ward = serializers.CharField(max_length=120, required=False, allow_blank=True)
    out_of_area = serializers.BooleanField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)


def _referral(request: StaffAPIRequest, pk: Any) -> Referral:
    return get_object_or_404(referrals_visible_to(request.user.staff_profile), pk=pk)


class CaseRequestListView(APIView):
    """GET: the referral's requests, oldest first. POST: log one (201)."""

    permission_classes = [HasRole]
    roles = {"get": ROLES, "post": ROLES}

    @extend_schema(responses=CaseRequestSerializer(many=True))
    def get(self, request: StaffAPIRequest, pk: str) -> Response:
        referral = _referral(request, pk)
        return Response(CaseRequestSerializer(request_selectors.requests_for(referral_id=referral.pk), many=True).data)

    @extend_schema(request=CaseRequestSerializer, responses={201: CaseRequestSerializer})
    def post(self, request: StaffAPIRequest, pk: str) -> Response:
        referral = _referral(request, pk)
        serializer = CaseRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "doctor_id" in data:
            data["doctor"] = data.pop("doctor_id")
        created = request_services.case_request_create(referral=referral, actor=request.user, data=data, channel="api")
        return Response(CaseRequestSerializer(created).data, status=status.HTTP_201_CREATED)


class CaseRequestDetailView(APIView):
    """PATCH: record a request's later outcome and arrived_at; an arrival before the request is 400."""

    permission_classes = [HasRole]
    roles = {"patch": ROLES, "get": ROLES}

    def _get(self, request: StaffAPIRequest, pk: str, request_id: int) -> CaseRequest:
        referral = _referral(request, pk)
        return get_object_or_404(CaseRequest, pk=request_id, referral=referral)

    @extend_schema(responses=CaseRequestSerializer)
    def get(self, request: StaffAPIRequest, pk: str, request_id: int) -> Response:
        return Response(CaseRequestSerializer(self._get(request, pk, request_id)).data)

    @extend_schema(request=CaseRequestUpdateSerializer, responses=CaseRequestSerializer)
    def patch(self, request: StaffAPIRequest, pk: str, request_id: int) -> Response:
        found = self._get(request, pk, request_id)
        serializer = CaseRequestUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        updated = request_services.case_request_update(
            request=found, actor=request.user, data=serializer.validated_data, now=timezone.now(), channel="api"
        )
        return Response(CaseRequestSerializer(updated).data)
