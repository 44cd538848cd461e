"""REST API for allocation and the assessment record (DESIGN.md section 5)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from amhp_hub.common.api import HasRole, expected_version, with_etag
from amhp_hub.common.audit import audit
from amhp_hub.common.requests import StaffAPIRequest
from assessments import selectors, services
from assessments.models import Assessment, DelayReason, Doctor, NearestRelativeAction, Outcome, TimelineEvent
from referrals.selectors import referrals_visible_to
from rota.models import StaffProfile

DESK_ROLES = {"consultant", "manager"}
READ_ROLES = {"consultant", "manager", "amhp"}
AMHP_ROLES = {"amhp"}


class CandidateSerializer(serializers.Serializer):
    amhp = serializers.CharField(source="candidate.amhp_id")
    name = serializers.CharField(source="candidate.name")
    score = serializers.FloatField()
    fits_in_shift = serializers.BooleanField()
    hours_left = serializers.SerializerMethodField()
    shift_ends_at = serializers.DateTimeField(source="candidate.shift_end")
    open_allocations = serializers.IntegerField(source="candidate.open_allocations")
    reasons = serializers.ListField(child=serializers.CharField())

    def get_hours_left(self, obj: Any) -> float:
        return round(obj.hours_left, 2)


class DoctorSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False)
    name = serializers.CharField(max_length=120, required=False)

    class Meta:
        model = Doctor
        fields = ["id", "name", "s12_approved", "previous_acquaintance", "examined_at", "recommendation_signed"]


class TimelineEventSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.get_username", read_only=True)
    kind = serializers.ChoiceField(choices=[(k, TimelineEvent.Kind(k).label) for k in services.RECORDABLE_EVENTS])

    class Meta:
        model = TimelineEvent
        fields = ["id", "kind", "at", "note", "recorded_by", "recorded_at"]
        read_only_fields = ["id", "recorded_by", "recorded_at"]


class TimelineEventOutSerializer(TimelineEventSerializer):
    kind = serializers.CharField(read_only=True)  # type: ignore[assignment]


class AssessmentSerializer(serializers.ModelSerializer):
    """The assessment record; writes (PATCH) go through assessments.services."""

    referral = serializers.UUIDField(source="referral_id", read_only=True)
    referral_reference = serializers.CharField(source="referral.reference", read_only=True)
    person = serializers.CharField(source="referral.person_name", read_only=True)
    amhp = serializers.UUIDField(source="amhp_id", read_only=True)
    amhp_name = serializers.CharField(source="amhp.display_name", read_only=True)
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False, allow_blank=True)
    nearest_relative_action = serializers.ChoiceField(choices=NearestRelativeAction.choices, required=False)
    delay_reasons = serializers.ListField(child=serializers.ChoiceField(choices=DelayReason.choices), required=False)
    hours_worked = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, allow_null=True)
    doctors = DoctorSerializer(many=True, required=False)
    timeline = TimelineEventOutSerializer(many=True, read_only=True)

    class Meta:
        model = Assessment
        fields = [
            "id",
            "referral",
            "referral_reference",
            "person",
            "amhp",
            "amhp_name",
            "status",
            "allocated_at",
            "responded_at",
            "decline_reason",
            "expected_hours",
            "shift_ends_at",
            "seen_at",
            "completed_at",
            "outcome",
            "outcome_notes",
            "nearest_relative_action",
            "nearest_relative_notes",
            "delay_reasons",
            "application_signed_at",
            "bed_found_at",
            "conveyed_at",
            "work_started_at",
            "work_ended_at",
            "hours_worked",
            "doctors",
            "timeline",
            "version",
        ]
        read_only_fields = [
            "id",
            "version",
            "status",
            "allocated_at",
            "responded_at",
            "decline_reason",
            "expected_hours",
            "shift_ends_at",
            "completed_at",
        ]


class AllocationListSerializer(serializers.ModelSerializer):
    referral = serializers.UUIDField(source="referral_id", read_only=True)
    referral_reference = serializers.CharField(source="referral.reference", read_only=True)
    person = serializers.CharField(source="referral.person_name", read_only=True)
    legal_status = serializers.CharField(source="referral.legal_status", read_only=True)
    location = serializers.CharField(source="referral.location", read_only=True)
    priority = serializers.CharField(source="referral.priority", read_only=True)
    due_at = serializers.DateTimeField(source="referral.due_at", read_only=True)
    statutory_expires_at = serializers.DateTimeField(
        source="referral.statutory_expires_at", read_only=True, allow_null=True
    )

    class Meta:
        model = Assessment
        fields = [
            "id",
            "referral",
            "referral_reference",
            "person",
            "legal_status",
            "location",
            "priority",
            "due_at",
            "statutory_expires_at",
            "status",
            "allocated_at",
            "expected_hours",
            "shift_ends_at",
        ]


class AllocateSerializer(serializers.Serializer):
    amhp = serializers.UUIDField()


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=False, trim_whitespace=True, max_length=2000)


def _profile(request: StaffAPIRequest) -> StaffProfile:
    return request.user.staff_profile


class CandidatesView(APIView):
    """GET /api/v1/referrals/{id}/candidates/: on-duty AMHPs ranked for the referral, with reasons."""

    permission_classes = [HasRole]
    roles = {"get": DESK_ROLES}

    @extend_schema(responses=CandidateSerializer(many=True))
    def get(self, request: StaffAPIRequest, pk: str) -> Response:
        referral = get_object_or_404(referrals_visible_to(_profile(request)), pk=pk)
        ranked = selectors.candidates_for(referral, timezone.now())
        return Response(CandidateSerializer(ranked, many=True).data)


class AllocateView(APIView):
    """POST /api/v1/referrals/{id}/allocate/ {"amhp": id}: 201 with the assessment; 409 if already allocated."""

    permission_classes = [HasRole]
    roles = {"post": {"consultant", "manager"}}

    @extend_schema(request=AllocateSerializer, responses={201: AssessmentSerializer})
    def post(self, request: StaffAPIRequest, pk: str) -> Response:
        referral = get_object_or_404(referrals_visible_to(_profile(request)), pk=pk)
        serializer = AllocateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        amhp = StaffProfile.objects.filter(pk=serializer.validated_data["amhp"]).first()
        if amhp is None:
            raise serializers.ValidationError({"amhp": ["Choose an AMHP of this service"]})
        assessment = services.assessment_allocate(referral=referral, amhp=amhp, actor=request.user, channel="api")
        assessment = selectors.assessment_visible_to(_profile(request)).get(pk=assessment.pk)
        return Response(AssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED)


class MyAllocationsView(APIView):
    """GET /api/v1/me/allocations/: the caller's open assessments."""

    permission_classes = [HasRole]
    roles = {"get": READ_ROLES}

    @extend_schema(responses=AllocationListSerializer(many=True))
    def get(self, request: StaffAPIRequest) -> Response:
        allocations = list(selectors.my_allocations(_profile(request)))
        return Response(AllocationListSerializer(allocations, many=True).data)


class _AssessmentView(APIView):
    permission_classes = [HasRole]

    def get_object(self, request: StaffAPIRequest, pk: str) -> Assessment:
        return get_object_or_404(selectors.assessment_visible_to(_profile(request)), pk=pk)

    def fresh(self, request: StaffAPIRequest, pk: Any) -> Response:
        assessment = self.get_object(request, pk)
        return with_etag(Response(AssessmentSerializer(assessment).data), assessment.version)


class AssessmentDetailView(_AssessmentView):
    """GET, PATCH /api/v1/assessments/{id}/: the record. The allocated AMHP edits; the desk reads."""

    roles = {"get": READ_ROLES, "patch": AMHP_ROLES}

    @extend_schema(responses=AssessmentSerializer)
    def get(self, request: StaffAPIRequest, pk: str) -> Response:
        assessment = self.get_object(request, pk)
        audit(actor=request.user, service_id=assessment.service_id, action="view", obj=assessment, channel="api")
        return with_etag(Response(AssessmentSerializer(assessment).data), assessment.version)

    @extend_schema(request=AssessmentSerializer, responses=AssessmentSerializer)
    def patch(self, request: StaffAPIRequest, pk: str) -> Response:
        """Change the record. Send If-Match with the ETag you read: if someone saved since, the answer is 409."""
        assessment = self.get_object(request, pk)
        version = expected_version(request)
        serializer = AssessmentSerializer(assessment, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        doctors = data.pop("doctors", [])
        try:
            services.assessment_update_record(
                assessment=assessment,
                actor=request.user,
                data=data,
                doctors=doctors,
                channel="api",
                expected_version=version,
            )
        except ValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return self.fresh(request, pk)


class AcceptView(_AssessmentView):
    roles = {"post": AMHP_ROLES}

    @extend_schema(request=None, responses=AssessmentSerializer)
    def post(self, request: StaffAPIRequest, pk: str) -> Response:
        services.assessment_accept(assessment=self.get_object(request, pk), actor=request.user, channel="api")
        return self.fresh(request, pk)


class DeclineView(_AssessmentView):
    roles = {"post": AMHP_ROLES}

    @extend_schema(request=DeclineSerializer, responses=AssessmentSerializer)
    def post(self, request: StaffAPIRequest, pk: str) -> Response:
        assessment = self.get_object(request, pk)
        serializer = DeclineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        declined = services.assessment_decline(
            assessment=assessment, actor=request.user, reason=serializer.validated_data["reason"], channel="api"
        )
        # The AMHP no longer sees the work they declined: answer with the record as it was left.
        declined = Assessment.objects.select_related("referral__person", "amhp__user").get(pk=declined.pk)
        return Response(AssessmentSerializer(declined).data)


class CompleteView(_AssessmentView):
    roles = {"post": AMHP_ROLES}

    @extend_schema(request=None, responses=AssessmentSerializer)
    def post(self, request: StaffAPIRequest, pk: str) -> Response:
        services.assessment_complete(assessment=self.get_object(request, pk), actor=request.user, channel="api")
        return self.fresh(request, pk)


class TimelineView(_AssessmentView):
    roles = {"post": AMHP_ROLES}

    @extend_schema(request=TimelineEventSerializer, responses={201: TimelineEventOutSerializer})
    def post(self, request: StaffAPIRequest, pk: str) -> Response:
        assessment = self.get_object(request, pk)
        serializer = TimelineEventSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = services.assessment_record_event(
            assessment=assessment, actor=request.user, channel="api", **serializer.validated_data
        )
        return Response(TimelineEventOutSerializer(event).data, status=status.HTTP_201_CREATED)
