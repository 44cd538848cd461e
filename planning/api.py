"""REST API for the whole-queue plan (DESIGN.md section 8: GET /api/v1/plan/) and accepting it."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from amhp_hub.common.api import HasRole
from amhp_hub.common.requests import StaffAPIRequest
from planning import selectors, services

DESK_ROLES = {"consultant", "manager"}


class ProposalSerializer(serializers.Serializer):
    referral = serializers.UUIDField()
    referral_reference = serializers.CharField()
    amhp = serializers.UUIDField(allow_null=True)
    amhp_name = serializers.CharField(allow_null=True)
    shift = serializers.UUIDField(allow_null=True)
    shift_starts_at = serializers.DateTimeField(allow_null=True)
    shift_ends_at = serializers.DateTimeField(allow_null=True)
    starts_at = serializers.DateTimeField(allow_null=True, help_text="Expected start of the work")
    ends_at = serializers.DateTimeField(allow_null=True, help_text="Expected end of the work")
    minutes_past_shift_end = serializers.IntegerField()
    meets_statutory_deadline = serializers.BooleanField(allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField())


def proposal_rows(context: selectors.PlanContext) -> list[dict[str, Any]]:
    rows = []
    for p in context.plan.proposals:
        referral = context.referrals[p.case_id]
        slot = context.shifts.get(p.shift_id) if p.shift_id else None
        staff = context.staff.get(p.amhp_id) if p.amhp_id else None
        rows.append(
            {
                "referral": referral.pk,
                "referral_reference": referral.reference,
                "referral_obj": referral,
                "amhp": p.amhp_id,
                "amhp_name": staff.display_name if staff else None,
                "shift": p.shift_id,
                "shift_starts_at": slot.start if slot else None,
                "shift_ends_at": slot.end if slot else None,
                "shift_label": slot.label if slot else "",
                "on_duty_now": bool(slot and slot.covers(context.generated_at)),
                "starts_at": p.starts_at,
                "ends_at": p.ends_at,
                "minutes_past_shift_end": p.minutes_past_shift_end,
                "meets_statutory_deadline": p.meets_deadline,
                "reasons": list(p.reasons),
            }
        )
    return rows


class PlanView(APIView):
    """GET /api/v1/plan/: a proposal for every open referral over the next 24 hours, with the reasons."""

    permission_classes = [HasRole]
    roles = {"get": DESK_ROLES}

    @extend_schema(responses=ProposalSerializer(many=True))
    def get(self, request: StaffAPIRequest) -> Response:
        context = selectors.current_plan(service_id=request.user.staff_profile.service_id, now=timezone.now())
        response = Response(ProposalSerializer(proposal_rows(context), many=True).data)
        plan = context.plan
        response["X-Plan-Missed-Deadlines"] = str(plan.missed_deadlines)
        response["X-Plan-Minutes-Past-Shift-End"] = str(plan.minutes_past_shift_end)
        response["X-Plan-Optimal"] = "true" if plan.optimal else "false"
        return response


class AcceptItemSerializer(serializers.Serializer):
    referral = serializers.UUIDField()
    amhp = serializers.UUIDField()
    shift = serializers.UUIDField(
        required=False, allow_null=True, help_text="A later shift: planned work from its start"
    )


class AcceptSerializer(serializers.Serializer):
    proposals = AcceptItemSerializer(many=True, allow_empty=False)


class AcceptResultSerializer(serializers.Serializer):
    referral = serializers.CharField()
    amhp = serializers.CharField()
    status = serializers.IntegerField(help_text="201 allocated, 400 refused, 404 not found, 409 already allocated")
    messages = serializers.ListField(child=serializers.CharField())
    assessment = serializers.CharField(allow_null=True)


class PlanAcceptView(APIView):
    """POST /api/v1/plan/accept/ {"proposals": [{"referral", "amhp", "shift"}]}: each becomes a normal allocation.

    201 when every one was allocated; otherwise 409 if any conflicted (already allocated),
    else 400; the body gives each proposal's own status and messages.
    """

    permission_classes = [HasRole]
    roles = {"post": DESK_ROLES}

    @extend_schema(request=AcceptSerializer, responses={201: AcceptResultSerializer(many=True)})
    def post(self, request: StaffAPIRequest) -> Response:
        serializer = AcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        items = [
            (str(i["referral"]), str(i["amhp"]), str(i["shift"]) if i.get("shift") else None)
            for i in serializer.validated_data["proposals"]
        ]
        results = services.plan_accept(
            actor=request.user, service_id=request.user.staff_profile.service_id, proposals=items, channel="api"
        )
        codes = {r.status for r in results}
        code = status.HTTP_201_CREATED if codes == {201} else (409 if 409 in codes else 400)
        return Response(AcceptResultSerializer([r.__dict__ for r in results], many=True).data, status=code)
