"""REST API for allocation and the assessment record (DESIGN.md section 5)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from amhp_hub.common.api import HasRole, expected_version, with_etag
from amhp_hub.common.audit import audit
from amhp_hub.common.errors import RuleError
from amhp_hub.common.requests import StaffAPIRequest
from amhp_hub.common.serializers import ReadOnceFields
from amhp_hub.common.statements import Statement
from assessments import application_services, handover_services, selectors, services
from assessments.models import (
    Application,
    ApplicationSection,
    Assessment,
    DelayReason,
    Doctor,
    Handover,
    NearestRelativeAction,
    NearestRelativeStep,
    Outcome,
    TimelineEvent,
)
from referrals.selectors import referrals_visible_to, visible_referral_or_404
from rota.models import DirectoryDoctor, StaffProfile

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


class CandidateOptionSerializer(ReadOnceFields, serializers.Serializer):
    """A ranked candidate (as CandidateSerializer) with the shift the work would be done in and rest warnings."""

    amhp = serializers.CharField(source="ranked.candidate.amhp_id")
    name = serializers.CharField(source="ranked.candidate.name")
    score = serializers.FloatField(source="ranked.score")
    fits_in_shift = serializers.BooleanField(source="ranked.fits_in_shift")
    hours_left = serializers.SerializerMethodField()
    shift_ends_at = serializers.DateTimeField(source="ranked.candidate.shift_end")
    open_allocations = serializers.IntegerField(source="ranked.candidate.open_allocations")
    reasons = serializers.ListField(child=serializers.CharField(), source="ranked.reasons")
    shift = serializers.UUIDField(source="shift.pk")
    shift_starts_at = serializers.DateTimeField(source="shift.starts_at")
    working_time_warnings = serializers.ListField(child=serializers.CharField(), source="warnings")

    def get_hours_left(self, obj: Any) -> float:
        return round(obj.ranked.hours_left, 2)


@extend_schema_serializer(component_name="AssessmentDoctor")
class DoctorSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False)
    name = serializers.CharField(max_length=120, required=False)
    directory_doctor = serializers.PrimaryKeyRelatedField(
        queryset=DirectoryDoctor.objects.all(), required=False, allow_null=True
    )
    s12_approved = serializers.BooleanField(required=False, allow_null=True, default=None)

    class Meta:
        model = Doctor
        fields = [
            "id",
            "directory_doctor",
            "name",
            "s12_approved",
            "previous_acquaintance",
            "examined_at",
            "recommendation_signed",
        ]


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
            "learning_disability",
            "abnormally_aggressive_or_seriously_irresponsible",
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


class AllocationListSerializer(ReadOnceFields, serializers.ModelSerializer):
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
    planned_at = serializers.DateTimeField(
        required=False, help_text="Allocate to the AMHP's later shift covering this time"
    )
    call_in_reason = serializers.CharField(
        required=False, allow_blank=True, help_text="Bring in an AMHP who is not on duty (an off-rota call-in)"
    )


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=False, trim_whitespace=True, max_length=2000)


def _profile(request: StaffAPIRequest) -> StaffProfile:
    return request.user.staff_profile


class CandidatesView(APIView):
    """GET /api/v1/referrals/{id}/candidates/: on-duty AMHPs ranked for the referral, with reasons."""

    permission_classes = [HasRole]
    roles = {"get": DESK_ROLES}

    @extend_schema(
        parameters=[OpenApiParameter("at", OpenApiTypes.DATETIME, description="rank for planned work at this time")],
        responses=CandidateOptionSerializer(many=True),
    )
    def get(self, request: StaffAPIRequest, pk: str) -> Response:
        referral = visible_referral_or_404(_profile(request), pk)
        at = timezone.now()
        if request.query_params.get("at"):
            parsed = parse_datetime(request.query_params["at"]) or None
            if parsed is None or timezone.is_naive(parsed):
                raise serializers.ValidationError({"at": ["Give a date and time with its offset, ISO 8601"]})
            at = parsed
        options = selectors.candidate_options(referral, at)
        return Response(CandidateOptionSerializer(options, many=True).data)


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
        assessment = services.assessment_allocate(
            referral=referral,
            amhp=amhp,
            actor=request.user,
            channel="api",
            planned_at=serializer.validated_data.get("planned_at"),
            call_in_reason=serializer.validated_data.get("call_in_reason", ""),
        )
        assessment = selectors.assessment_visible_to(_profile(request)).get(pk=assessment.pk)
        return Response(AssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED)


class MyAllocationsView(APIView):
    """GET /api/v1/me/allocations/: the caller's open assessments."""

    permission_classes = [HasRole]
    roles = {"get": READ_ROLES}

    # The columns AllocationListSerializer reads (the person's name as the referral recorded it, or as the
    # person has it): all of the assessment, referral and person would be some 120 columns to build and read.
    COLUMNS = (
        "id",
        "referral",
        "status",
        "allocated_at",
        "expected_hours",
        "shift_ends_at",
        "referral__reference",
        "referral__legal_status",
        "referral__location",
        "referral__priority",
        "referral__due_at",
        "referral__statutory_expires_at",
        "referral__recorded_given_name",
        "referral__recorded_family_name",
        "referral__person",
        "referral__person__given_name",
        "referral__person__family_name",
    )

    @extend_schema(responses=AllocationListSerializer(many=True))
    def get(self, request: StaffAPIRequest) -> Response:
        profile = _profile(request)
        allocations = _MY_ALLOCATIONS.run(service_id=profile.service_id, amhp_id=profile.pk)
        return Response(AllocationListSerializer(allocations, many=True).data)


# An AMHP's phone asks for this whenever the app opens: compiled once per thread (amhp_hub.common.statements).
_MY_ALLOCATIONS: Statement[Assessment] = Statement(
    lambda service_id, amhp_id: (
        selectors.allocations_of(service_id=service_id, amhp_id=amhp_id)
        .select_related(None)
        .select_related("referral__person")
        .only(*MyAllocationsView.COLUMNS)
    )
)


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
        except RuleError:
            raise  # 400 naming each provision broken (DESIGN.md section 8)
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


class RecommendationSerializer(serializers.Serializer):
    """One medical recommendation: `doctor` (the name), or `doctor_id` (a directory entry of the service, whose
    name, s12 approval and expiry then count, whatever else is sent)."""

    doctor = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    doctor_id = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="A doctor of the service's directory (/doctors/)"
    )
    examined_on = serializers.DateField(required=False, allow_null=True)
    examined_at = serializers.DateTimeField(required=False, allow_null=True)
    signed_on = serializers.DateField(required=False, allow_null=True)
    s12_approved = serializers.BooleanField(default=False)
    s12_approval_expires_on = serializers.DateField(required=False, allow_null=True)
    previous_acquaintance = serializers.BooleanField(default=False)
    no_acquaintance_reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("doctor_id") is None and not attrs.get("doctor", "").strip():
            raise serializers.ValidationError(
                {"doctor": ["Enter the doctor's name, or give doctor_id from the directory"]}
            )
        return attrs


class ApplicationSerializer(serializers.Serializer):
    """The application (DESIGN.md section 8). Validity is decided by assessments.application_rules."""

    section = serializers.ChoiceField(choices=ApplicationSection.choices)
    signed_at = serializers.DateTimeField(required=False, allow_null=True)
    applicant_seen_at = serializers.DateTimeField(required=False, allow_null=True)
    recommendations = RecommendationSerializer(many=True, required=False, default=list)
    nearest_relative_step = serializers.ChoiceField(
        choices=NearestRelativeStep.choices, required=False, allow_blank=True, default=""
    )
    nearest_relative_reason = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    conflict_of_interest_declared = serializers.BooleanField(default=False)
    conflict_of_interest_reason = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    learning_disability = serializers.BooleanField(default=False)
    autism = serializers.BooleanField(default=False)
    abnormally_aggressive_or_seriously_irresponsible = serializers.BooleanField(default=False)
    grounds = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")


class RuleMessageSerializer(serializers.Serializer):
    provision = serializers.CharField()
    field = serializers.CharField()
    message = serializers.CharField()


class ApplicationOutSerializer(ApplicationSerializer):
    """The application as stored, with the referral's status and what the AMHP must still do (s11(3))."""

    id = serializers.IntegerField()
    assessment = serializers.UUIDField()
    referral = serializers.UUIDField()
    referral_status = serializers.CharField()
    nearest_relative_name = serializers.CharField()
    prompts = RuleMessageSerializer(many=True)


def _application_out(application: Application, prompts: list[dict[str, str]] | None = None) -> dict[str, Any]:
    assessment = application.assessment
    return {
        "id": application.pk,
        "assessment": str(assessment.pk),
        "referral": str(assessment.referral_id),
        "referral_status": assessment.referral.status,
        "section": application.section,
        "signed_at": serializers.DateTimeField().to_representation(application.signed_at),
        "applicant_seen_at": serializers.DateTimeField().to_representation(application.applicant_seen_at),
        "recommendations": [
            {
                "doctor": r.doctor,
                "doctor_id": r.directory_doctor_id,
                "examined_on": r.examined_on.isoformat(),
                "examined_at": serializers.DateTimeField().to_representation(r.examined_at) if r.examined_at else None,
                "signed_on": r.signed_on.isoformat(),
                "s12_approved": r.s12_approved,
                "s12_approval_expires_on": r.s12_approval_expires_on.isoformat() if r.s12_approval_expires_on else None,
                "previous_acquaintance": r.previous_acquaintance,
                "no_acquaintance_reason": r.no_acquaintance_reason,
            }
            for r in application.recommendations.all()
        ],
        "nearest_relative_step": application.nearest_relative_step,
        "nearest_relative_reason": application.nearest_relative_reason,
        "nearest_relative_name": application.nearest_relative_name,
        "conflict_of_interest_declared": application.conflict_of_interest_declared,
        "conflict_of_interest_reason": application.conflict_of_interest_reason,
        "learning_disability": application.learning_disability,
        "autism": application.autism,
        "abnormally_aggressive_or_seriously_irresponsible": (
            application.abnormally_aggressive_or_seriously_irresponsible
        ),
        "grounds": application.grounds,
        "prompts": prompts if prompts is not None else application_services.prompts_for(application),
    }


class ApplicationView(_AssessmentView):
    """GET, POST /api/v1/assessments/{id}/application/: the application; 201, or 400 naming the provisions broken.

    A valid application moves the referral to application_made. GET is 404 until one is recorded.
    """

    roles = {"get": READ_ROLES, "post": AMHP_ROLES}

    def _application(self, assessment: Assessment) -> Application | None:
        return (
            Application.objects.filter(assessment=assessment)
            .select_related("assessment__referral__person")
            .prefetch_related("recommendations")
            .first()
        )

    @extend_schema(responses=ApplicationOutSerializer)
    def get(self, request: StaffAPIRequest, pk: str) -> Response:
        assessment = self.get_object(request, pk)
        application = self._application(assessment)
        if application is None:
            return Response({"detail": "No application has been recorded for this assessment."}, status=404)
        audit(actor=request.user, service_id=assessment.service_id, action="view", obj=application, channel="api")
        return Response(_application_out(application))

    @extend_schema(request=ApplicationSerializer, responses={201: ApplicationOutSerializer})
    def post(self, request: StaffAPIRequest, pk: str) -> Response:
        assessment = self.get_object(request, pk)
        serializer = ApplicationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        recommendations = data.pop("recommendations", [])
        submitted = application_services.application_submit(
            assessment=assessment, actor=request.user, data=data, recommendations=recommendations, channel="api"
        )
        application = self._application(assessment)
        application = application or submitted.application
        return Response(_application_out(application, submitted.prompts), status=status.HTTP_201_CREATED)


class HandoverSerializer(serializers.ModelSerializer):
    to = serializers.UUIDField(source="to_amhp_id")
    from_amhp = serializers.UUIDField(source="from_amhp_id", read_only=True)
    from_name = serializers.CharField(source="from_amhp.display_name", read_only=True)
    to_name = serializers.CharField(source="to_amhp.display_name", read_only=True)
    notes = serializers.CharField(allow_blank=False, trim_whitespace=True)

    class Meta:
        model = Handover
        fields = ["id", "kind", "from_amhp", "from_name", "to", "to_name", "notes", "at"]
        read_only_fields = ["id", "kind", "at"]


class ReassignSerializer(serializers.Serializer):
    to = serializers.UUIDField()
    reason = serializers.CharField(allow_blank=False, trim_whitespace=True)


class HandoverView(_AssessmentView):
    """POST /api/v1/assessments/{id}/handover/ {"to", "notes"}: the AMHP hands work in progress on (201).

    GET lists the assessment's handovers, oldest first.
    """

    roles = {"post": AMHP_ROLES, "get": READ_ROLES}

    @extend_schema(responses=HandoverSerializer(many=True))
    def get(self, request: StaffAPIRequest, pk: str) -> Response:
        assessment = self.get_object(request, pk)
        rows = assessment.handovers.select_related("from_amhp__user", "to_amhp__user")
        return Response(HandoverSerializer(rows, many=True).data)

    @extend_schema(request=HandoverSerializer, responses={201: HandoverSerializer})
    def post(self, request: StaffAPIRequest, pk: str) -> Response:
        assessment = self.get_object(request, pk)
        serializer = HandoverSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        handover = handover_services.assessment_hand_on(
            assessment=assessment,
            actor=request.user,
            to_amhp=_staff_or_400(serializer.validated_data["to_amhp_id"]),
            notes=serializer.validated_data["notes"],
            channel="api",
        )
        return Response(HandoverSerializer(handover).data, status=status.HTTP_201_CREATED)


class ReassignView(_AssessmentView):
    """POST /api/v1/assessments/{id}/reassign/ {"to", "reason"}: the desk moves accepted work to another AMHP."""

    roles = {"post": DESK_ROLES}

    @extend_schema(request=ReassignSerializer, responses={201: HandoverSerializer})
    def post(self, request: StaffAPIRequest, pk: str) -> Response:
        assessment = self.get_object(request, pk)
        serializer = ReassignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        handover = handover_services.assessment_hand_on(
            assessment=assessment,
            actor=request.user,
            to_amhp=_staff_or_400(serializer.validated_data["to"]),
            notes=serializer.validated_data["reason"],
            kind=Handover.Kind.REASSIGN,
            channel="api",
        )
        return Response(HandoverSerializer(handover).data, status=status.HTTP_201_CREATED)


def _staff_or_400(pk: Any) -> StaffProfile:
    staff = StaffProfile.objects.filter(pk=pk).first()
    if staff is None:
        raise serializers.ValidationError({"to": ["Choose an AMHP of this service"]})
    return staff
