"""REST API for referrals, triage and the queue (DESIGN.md section 5)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from amhp_hub.common.api import HasRole, expected_version, with_etag
from amhp_hub.common.audit import audit
from amhp_hub.common.errors import RuleError
from amhp_hub.common.pagination import CappedLimitOffsetPagination, CursorError, KeysetPaginator
from amhp_hub.common.requests import StaffAPIRequest
from amhp_hub.common.serializers import ReadOnceFields
from referrals import deadlines, selectors, services
from referrals.constants import Ethnicity, LegalChange, LegalStatus, Priority, Sex, Status, TriageDecision
from referrals.models import LegalStatusChange, Person, Referral, TriageRecord

READ_ROLES = {"consultant", "manager", "amhp"}
DESK_ROLES = {"consultant", "manager"}
KEYSET_DEFAULT_LIMIT = 50
KEYSET_MAX_LIMIT = 500


class PersonSerializer(ReadOnceFields, serializers.ModelSerializer):
    nhs_number = serializers.CharField(max_length=20, required=False, allow_blank=True)
    given_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    family_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False)
    ethnicity = serializers.ChoiceField(choices=Ethnicity.choices, required=False)

    id = serializers.UUIDField(read_only=True)
    age = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = ["id", *services.PERSON_FIELDS, "age"]

    def get_age(self, obj: Person) -> int | None:
        """Whole years today (London), or None without a date of birth."""
        return obj.age_on(timezone.localdate())


class ReferralSerializer(ReadOnceFields, serializers.ModelSerializer):
    """The referral as the contract shows it; writes go through referrals.services."""

    person = PersonSerializer()
    legal_status = serializers.ChoiceField(choices=LegalStatus.choices, required=False, allow_blank=True)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    draft = serializers.BooleanField(write_only=True, required=False, default=False)
    person_match = serializers.ChoiceField(
        choices=services.PERSON_MATCH_CHOICES,
        write_only=True,
        required=False,
        help_text=(
            "When the NHS number matches a person on record with a different name or date of birth: "
            '"update" their details (earlier referrals keep theirs) or "keep" the details on record. '
            "Without it such a request is refused with 409 and the match."
        ),
    )
    submit = serializers.BooleanField(
        write_only=True, required=False, default=False, help_text="With PATCH: submit a draft into the queue"
    )
    flags = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Referral
        # The writable details are exactly those referrals.services takes, so the two cannot drift.
        fields = [
            "id",
            "reference",
            "status",
            "priority",
            *services.REFERRAL_FIELDS,
            "extension_hours",
            "statutory_expires_at",
            "deadline_rule",
            "due_at",
            "flags",
            "decline_note",
            "person",
            "admitted_at",
            "created_at",
            "updated_at",
            "closed_at",
            "version",
            "draft",
            "submit",
            "person_match",
        ]
        read_only_fields = [
            "id",
            "reference",
            "status",
            "extension_hours",
            "statutory_expires_at",
            "deadline_rule",
            "due_at",
            "flags",
            "decline_note",
            "admitted_at",
            "created_at",
            "updated_at",
            "closed_at",
            "version",
        ]
        extra_kwargs = {"received_at": {"required": False}, "reason": {"required": False}}

    def to_representation(self, instance: Referral) -> dict[str, Any]:
        data = super().to_representation(instance)
        # The person as this referral recorded them: a later correction never rewrites an earlier referral.
        if instance.recorded_given_name or instance.recorded_family_name:
            data["person"]["given_name"] = instance.recorded_given_name
            data["person"]["family_name"] = instance.recorded_family_name
            dob = instance.recorded_date_of_birth
            data["person"]["date_of_birth"] = dob.isoformat() if dob else None
        return data

    def flat_data(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        person = data.pop("person", {}) or {}
        data.pop("draft", None)
        data.pop("submit", None)
        data.pop("person_match", None)
        return {**data, **person}


class TriageSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=TriageDecision.choices)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, allow_blank=True)
    reason = serializers.CharField(allow_blank=False, trim_whitespace=True)


class ExtensionSerializer(serializers.Serializer):
    hours = serializers.IntegerField(min_value=1, max_value=12)
    authorised_at = serializers.DateTimeField(
        required=False, help_text="When the doctor authorised it (default: the time of the request)"
    )
    authorised_by = serializers.CharField(max_length=120)
    reason = serializers.CharField()
    superintendent_approved = serializers.BooleanField(
        required=False, default=False, help_text="Required true when the place of safety is a police station"
    )


class DeadlineSerializer(serializers.Serializer):
    rule = serializers.CharField()
    provision = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    state = serializers.ChoiceField(choices=deadlines.STATES)
    met_at = serializers.DateTimeField(allow_null=True)


class LegalStatusChangeSerializer(serializers.ModelSerializer):
    legal_status = serializers.ChoiceField(choices=LegalStatus.choices)
    change = serializers.ChoiceField(
        choices=[c for c in LegalChange.choices if c[0] != LegalChange.RECORDED], default=LegalChange.CHANGED
    )
    started_at = serializers.DateTimeField(allow_null=True, required=False)
    reason = serializers.CharField()
    recorded_by = serializers.SerializerMethodField()

    class Meta:
        model = LegalStatusChange
        fields = ["id", "legal_status", "started_at", "change", "reason", "recorded_by", "recorded_at"]
        read_only_fields = ["id", "recorded_by", "recorded_at"]

    def get_recorded_by(self, obj: LegalStatusChange) -> str:
        return obj.recorded_by.get_username() if obj.recorded_by else ""


class LegalStatusEntrySerializer(LegalStatusChangeSerializer):
    """A legal status history entry as read back: `change` may also be `recorded` (the status at referral)."""

    change = serializers.ChoiceField(choices=LegalChange.choices, read_only=True)


class AdmitSerializer(serializers.Serializer):
    admitted_at = serializers.DateTimeField(help_text="When the application reached the hospital managers")


class TriageRecordSerializer(serializers.ModelSerializer):
    decided_by = serializers.CharField(source="decided_by.get_username", read_only=True)

    class Meta:
        model = TriageRecord
        fields = ["decision", "priority", "reason", "decided_by", "decided_at"]


def _nest_person_errors(exc: ValidationError) -> serializers.ValidationError:
    """Put field errors for the person's fields under "person", as the request nests them."""
    person_fields = set(services.PERSON_FIELDS)
    errors: dict[str, Any] = {}
    for field, messages in exc.message_dict.items():
        if field in person_fields:
            errors.setdefault("person", {})[field] = messages
        else:
            errors[field] = messages
    if isinstance(exc, RuleError):  # a legal rule: name its provision (DESIGN.md section 8)
        errors["errors"] = [{"provision": p, "field": f, "message": m} for p, f, m in exc.violations]
    return serializers.ValidationError(errors or {"non_field_errors": exc.messages})


class ReferralViewSet(viewsets.GenericViewSet):
    request: StaffAPIRequest
    serializer_class = ReferralSerializer
    permission_classes = [HasRole]
    roles = {
        "list": READ_ROLES,
        "retrieve": READ_ROLES,
        "create": DESK_ROLES,
        "partial_update": DESK_ROLES,
        "triage": DESK_ROLES,
        "extend": DESK_ROLES,
        "deadlines": READ_ROLES,
        "legal_status": READ_ROLES,
        "admit": READ_ROLES,
    }
    lookup_value_regex = "[0-9a-f-]{36}"

    def get_queryset(self) -> Any:
        return selectors.referrals_visible_to(self.request.user.staff_profile)

    def get_object(self) -> Referral:
        return selectors.visible_referral_or_404(self.request.user.staff_profile, self.kwargs["pk"])

    def list(self, request: StaffAPIRequest) -> Response:
        filters, errors = selectors.filter_args(
            request.query_params, {"status": Status.values, "priority": Priority.values}
        )
        if errors:
            raise serializers.ValidationError(errors)
        qs = selectors.referral_list(profile=request.user.staff_profile, **filters)
        page = self.paginate_queryset(qs)
        audit(
            actor=request.user,
            service_id=request.user.staff_profile.service_id,
            action="list",
            object_type="referral",
            object_ids=[r.pk for r in page],  # type: ignore[union-attr]
            channel="api",
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        referral = self.get_object()
        audit(actor=request.user, service_id=referral.service_id, action="view", obj=referral, channel="api")
        return with_etag(Response(self.get_serializer(referral).data), referral.version)

    def create(self, request: StaffAPIRequest) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            referral = services.referral_create(
                service=request.user.staff_profile.service,
                actor=request.user,
                data=serializer.flat_data(),  # type: ignore[attr-defined]
                draft=serializer.validated_data.get("draft", False),
                channel="api",
                person_match=serializer.validated_data.get("person_match"),
            )
        except ValidationError as exc:
            raise _nest_person_errors(exc) from exc
        except services.PersonMatchConflict as exc:
            return Response(exc.as_json(), status=status.HTTP_409_CONFLICT)
        return Response(self.get_serializer(referral).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        """Change details. Send If-Match with the ETag you read: if someone saved since, the answer is 409."""
        referral = self.get_object()
        version = expected_version(request)
        serializer = self.get_serializer(referral, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            referral = services.referral_update(
                referral=referral,
                actor=request.user,
                data=serializer.flat_data(),  # type: ignore[attr-defined]
                submit=serializer.validated_data.get("submit", False),
                channel="api",
                expected_version=version,
            )
        except ValidationError as exc:
            raise _nest_person_errors(exc) from exc
        return with_etag(Response(self.get_serializer(referral).data), referral.version)

    @extend_schema(request=TriageSerializer, responses={201: TriageRecordSerializer})
    @action(detail=True, methods=["post"])
    def triage(self, request: Request, pk: str) -> Response:
        referral = self.get_object()
        serializer = TriageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = services.referral_triage(
            referral=referral, actor=request.user, channel="api", **serializer.validated_data
        )
        return Response(TriageRecordSerializer(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ExtensionSerializer, responses=ReferralSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request: Request, pk: str) -> Response:
        """Record an s136B extension (up to 12 hours in all, before the first 24 hours expire)."""
        referral = self.get_object()
        serializer = ExtensionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        referral = services.referral_extend_detention(
            referral=referral, actor=request.user, channel="api", **serializer.validated_data
        )
        return Response(self.get_serializer(referral).data)

    @extend_schema(responses=DeadlineSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def deadlines(self, request: Request, pk: str) -> Response:
        """Every legal deadline the case carries now, with its rule code, provision and state."""
        referral = self.get_object()
        found = selectors.referral_deadlines(referral, now=timezone.now())
        return Response(DeadlineSerializer([d.as_dict() for d in found], many=True).data)

    @extend_schema(methods=["GET"], responses=LegalStatusEntrySerializer(many=True))
    @extend_schema(methods=["POST"], request=LegalStatusChangeSerializer, responses={201: LegalStatusEntrySerializer})
    @action(detail=True, methods=["get", "post"], url_path="legal-status", pagination_class=None)
    def legal_status(self, request: Request, pk: str) -> Response:
        """GET the legal status history; POST a change (s5(4)→s5(2), s4→s2, s136→s2, CTO recall, revoked, released)."""
        referral = self.get_object()
        if request.method == "POST":
            serializer = LegalStatusChangeSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            entry = services.referral_change_legal_status(
                referral=referral,
                actor=request.user,
                channel="api",
                legal_status=serializer.validated_data["legal_status"],
                started_at=serializer.validated_data.get("started_at"),
                reason=serializer.validated_data["reason"],
                change=serializer.validated_data["change"],
            )
            return Response(LegalStatusEntrySerializer(entry).data, status=status.HTTP_201_CREATED)
        history = selectors.legal_history(referral)
        return Response(LegalStatusEntrySerializer(history, many=True).data)

    @extend_schema(request=AdmitSerializer, responses=ReferralSerializer)
    @action(detail=True, methods=["post"])
    def admit(self, request: Request, pk: str) -> Response:
        """Record that the application reached the hospital managers (application_made → admitted)."""
        referral = self.get_object()
        serializer = AdmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        referral = services.referral_admit(
            referral=referral, actor=request.user, at=serializer.validated_data["admitted_at"], channel="api"
        )
        return Response(self.get_serializer(referral).data)


class QueueEntrySerializer(ReferralSerializer):
    """A referral as a row of the queue (the same fields; its own name in the schema)."""


class QueuePagination(CappedLimitOffsetPagination):
    """The queue's pages also say when they were read (`generated_at`), for the countdowns."""

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        response.data["generated_at"] = timezone.now().isoformat()
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        result = super().get_paginated_response_schema(schema)
        result["properties"]["generated_at"] = {"type": "string", "format": "date-time"}
        result["required"] = [*result.get("required", []), "generated_at"]
        return result


class QueueView(APIView):
    """GET /api/v1/queue/: the service's open referrals in queue order, a page at a time."""

    permission_classes = [HasRole]
    pagination_class = QueuePagination
    roles = {"get": DESK_ROLES}

    @extend_schema(
        parameters=[
            OpenApiParameter("cursor", str, description="Opaque: follow the `next` and `previous` links"),
            OpenApiParameter("limit", int, description=f"Rows a page (default 50, at most {KEYSET_MAX_LIMIT})"),
            OpenApiParameter("offset", int, description="Deprecated: offset paging, up to the count cap"),
        ],
        responses=QueueEntrySerializer(many=True),
    )
    def get(self, request: StaffAPIRequest) -> Response:
        """Pages are keyset pages: `next` and `previous` name the row to continue from, so every page costs the same.

        `count` is exact up to QUEUE_COUNT_CAP; `count_capped` says when it is not.
        """
        filters, errors = selectors.filter_args(
            request.query_params, {"status": [str(s) for s in selectors.QUEUE_STATUSES], "priority": Priority.values}
        )
        if errors:
            raise serializers.ValidationError(errors)
        profile = request.user.staff_profile
        values: dict[str, Any] = {"service_id": profile.service_id, "status": None, "priority": None, **filters}
        if "offset" in request.query_params:  # the older offset links keep working
            paginator = self.pagination_class()
            page = paginator.paginate_queryset(selectors.queue(**values), request, self)
            self._audit(request, page or [])
            return paginator.get_paginated_response(QueueEntrySerializer(page, many=True).data)
        try:
            limit = min(KEYSET_MAX_LIMIT, max(1, int(request.query_params.get("limit", KEYSET_DEFAULT_LIMIT))))
        except ValueError:
            raise serializers.ValidationError({"limit": ["Give a whole number of rows."]}) from None
        try:
            keyset = KeysetPaginator.compiled(selectors.queue, values, selectors.QUEUE_ORDER, limit, model=Referral)
            keyset_page = keyset.page(request.query_params.get("cursor"))
        except CursorError as exc:
            raise serializers.ValidationError({"cursor": [str(exc)]}) from exc
        self._audit(request, keyset_page.rows)
        return Response(
            {
                "count": keyset_page.count,
                "count_capped": keyset_page.capped,
                "next": _with_cursor(request, keyset_page.next_cursor),
                "previous": _with_cursor(request, keyset_page.previous_cursor),
                "results": QueueEntrySerializer(keyset_page.rows, many=True).data,
                "generated_at": timezone.now().isoformat(),
            }
        )

    @staticmethod
    def _audit(request: StaffAPIRequest, rows: list[Referral]) -> None:
        audit(
            actor=request.user,
            service_id=request.user.staff_profile.service_id,
            action="list",
            object_type="referral",
            object_ids=[r.pk for r in rows],
            channel="api",
        )


def _with_cursor(request: Request, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    return replace_query_param(request.build_absolute_uri(), "cursor", cursor)
