"""REST API for the person's nearest relative record: GET, POST /api/v1/people/{id}/nearest-relative/."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from amhp_hub.common.api import HasRole
from amhp_hub.common.audit import audit
from amhp_hub.common.requests import StaffAPIRequest
from referrals import nearest_relative as s26
from referrals import nr_selectors, nr_services
from referrals.models import Displacement, NearestRelativeObjection, NearestRelativeRequest, Person
from referrals.person_rules import child_flags

READ_ROLES = {"consultant", "manager", "amhp"}


class RelativeSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    relationship = serializers.ChoiceField(choices=s26.RELATIONSHIPS)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    half_blood = serializers.BooleanField(default=False)
    lives_with_patient = serializers.BooleanField(default=False)
    cares_for_patient = serializers.BooleanField(default=False)
    ordinarily_resident_uk = serializers.BooleanField(default=True)
    years_living_with_patient = serializers.DecimalField(
        max_digits=4, decimal_places=1, min_value=0, max_value=120, default=Decimal(0)
    )
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    address = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ObjectionSerializer(serializers.Serializer):
    date = serializers.DateField()
    to = serializers.ChoiceField(choices=NearestRelativeObjection.To.choices)
    relative = serializers.CharField(max_length=150, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class DisplacementSerializer(serializers.Serializer):
    ground = serializers.ChoiceField(choices=Displacement.Ground.choices)
    applied_on = serializers.DateField()
    decided_on = serializers.DateField(required=False, allow_null=True)
    order_made = serializers.BooleanField(default=False)
    acting_nearest_relative = serializers.CharField(max_length=150, required=False, allow_blank=True)


class RequestSerializer(serializers.Serializer):
    relative = serializers.CharField(max_length=150)
    requested_on = serializers.DateField()
    outcome = serializers.ChoiceField(
        choices=NearestRelativeRequest.Outcome.choices, default=NearestRelativeRequest.Outcome.PENDING
    )
    reasons = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class NearestRelativeInSerializer(serializers.Serializer):
    relatives = RelativeSerializer(many=True, required=False)
    objections = ObjectionSerializer(many=True, required=False)
    displacement = DisplacementSerializer(many=True, required=False)
    s13_requests = RequestSerializer(many=True, required=False)
    in_care_of = serializers.CharField(max_length=150, required=False, allow_blank=True)
    parental_responsibility = serializers.CharField(max_length=300, required=False, allow_blank=True)


def _record(view: nr_selectors.NearestRelativeView) -> dict[str, Any]:
    record = view.record
    today = timezone.localdate()
    age = view.person.age_on(today)
    flags = child_flags(age=age, in_care_of_council=bool(record and record.in_care_of))
    return {
        "person": str(view.person.pk),
        "age": age,
        "relatives": [
            {
                "name": r.name,
                "relationship": r.relationship,
                "date_of_birth": r.date_of_birth.isoformat() if r.date_of_birth else None,
                "half_blood": r.half_blood,
                "lives_with_patient": r.lives_with_patient,
                "cares_for_patient": r.cares_for_patient,
                "ordinarily_resident_uk": r.ordinarily_resident_uk,
                "years_living_with_patient": float(r.years_living_with_patient),
                "phone": r.phone,
                "address": r.address,
            }
            for r in view.relatives
        ],
        "nearest_relative": {
            "name": record.name if record else "",
            "relationship": record.relationship if record else "",
            "reasons": record.reasons if record else [],
        },
        "in_care_of": record.in_care_of if record else "",
        "parental_responsibility": record.parental_responsibility if record else "",
        "objections": [
            {"date": o.date.isoformat(), "to": o.to, "relative": o.relative, "notes": o.notes} for o in view.objections
        ],
        "displacement": [
            {
                "ground": d.ground,
                "applied_on": d.applied_on.isoformat(),
                "decided_on": d.decided_on.isoformat() if d.decided_on else None,
                "order_made": d.order_made,
                "acting_nearest_relative": d.acting_nearest_relative,
            }
            for d in view.displacements
        ],
        "displaced": view.displaced,
        "s13_requests": [
            {
                "id": q.pk,
                "relative": q.relative,
                "requested_on": q.requested_on.isoformat(),
                "outcome": q.outcome,
                "reasons": q.reasons,
                "decided_on": q.decided_on.isoformat() if q.decided_on else None,
            }
            for q in view.requests
        ],
        "under_18": [{"provision": p, "message": m} for p, m in flags.notes()],
    }


class NearestRelativeView(APIView):
    """The person's nearest relative record, shared by all their referrals (DESIGN.md section 8).

    GET: relatives, the nearest relative with the s26 steps that decided it, objections, s29
    applications and s13(4) requests. POST: `relatives` (when given) replace the list;
    `objections`, `displacement` and `s13_requests` are added.
    """

    permission_classes = [HasRole]
    roles = {"get": READ_ROLES, "post": READ_ROLES}

    def _person(self, request: StaffAPIRequest, pk: str) -> Person:
        return get_object_or_404(nr_selectors.people_visible_to(request.user.staff_profile), pk=pk)

    @extend_schema(responses={200: dict})
    def get(self, request: StaffAPIRequest, pk: str) -> Response:
        person = self._person(request, pk)
        audit(actor=request.user, service_id=person.service_id, action="view", obj=person, channel="api")
        return Response(_record(nr_selectors.nearest_relative_for(person)))

    @extend_schema(request=NearestRelativeInSerializer, responses={200: dict})
    def post(self, request: StaffAPIRequest, pk: str) -> Response:
        person = self._person(request, pk)
        serializer = NearestRelativeInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with transaction.atomic():
            nr_services.nearest_relative_save(
                person=person,
                actor=request.user,
                relatives=data.get("relatives"),
                objections=data.get("objections", []),
                displacement=data.get("displacement", []),
                in_care_of=data.get("in_care_of"),
                parental_responsibility=data.get("parental_responsibility"),
                channel="api",
            )
            for item in data.get("s13_requests", []):
                nr_services.nr_request_record(person=person, actor=request.user, channel="api", **item)
        return Response(_record(nr_selectors.nearest_relative_for(person)))
