"""REST API for the TOIL ledger (DESIGN.md section 5): GET /api/v1/toil/, approve and reject."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amhp_hub.common.api import HasRole
from amhp_hub.common.requests import StaffAPIRequest
from assessments import toil_selectors as selectors
from assessments import toil_services as services
from assessments.models import ToilEntry


class ToilEntrySerializer(serializers.ModelSerializer):
    staff_name = serializers.CharField(source="staff.display_name", read_only=True)
    referral = serializers.SerializerMethodField()

    class Meta:
        model = ToilEntry
        fields = [
            "id",
            "staff",
            "staff_name",
            "kind",
            "minutes",
            "status",
            "assessment",
            "referral",
            "worked_from",
            "worked_to",
            "note",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_referral(self, entry: ToilEntry) -> str | None:
        return entry.assessment.referral.reference if entry.assessment is not None else None


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class ToilListView(generics.ListAPIView):
    """GET /api/v1/toil/: ledger entries visible to the caller (an AMHP their own, a manager their service's)."""

    request: StaffAPIRequest

    permission_classes = [HasRole]
    roles = {"get": {"amhp", "manager"}}
    serializer_class = ToilEntrySerializer
    pagination_class = LimitOffsetPagination

    def get_queryset(self) -> QuerySet[ToilEntry]:
        entries = selectors.toil_entries_visible_to(self.request.user.staff_profile)
        status = self.request.query_params.get("status")
        if status:
            if status not in ToilEntry.Status.values:
                raise serializers.ValidationError({"status": [f"Choose one of {', '.join(ToilEntry.Status.values)}"]})
            entries = entries.filter(status=status)
        return entries

    @extend_schema(parameters=[OpenApiParameter("status", enum=ToilEntry.Status.values, required=False)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class _DecideView(APIView):
    permission_classes = [HasRole]
    roles = {"post": {"manager"}}
    approve = True

    def post(self, request: StaffAPIRequest, pk: int) -> Response:
        try:
            if self.approve:
                entry = services.toil_approve(entry_id=pk, actor=request.user, channel="api")
            else:
                body = RejectSerializer(data=request.data)
                body.is_valid(raise_exception=True)
                entry = services.toil_reject(
                    entry_id=pk, actor=request.user, reason=body.validated_data["reason"], channel="api"
                )
        except ToilEntry.DoesNotExist as exc:
            raise Http404("No such TOIL entry") from exc
        entry = selectors.toil_entries_visible_to(request.user.staff_profile).get(pk=entry.pk)
        return Response(ToilEntrySerializer(entry).data)


class ToilApproveView(_DecideView):
    """POST /api/v1/toil/{id}/approve/ (manager): 409 if already decided."""

    approve = True

    @extend_schema(request=None, responses=ToilEntrySerializer)
    def post(self, request: StaffAPIRequest, pk: int) -> Response:
        return super().post(request, pk)


class ToilRejectView(_DecideView):
    """POST /api/v1/toil/{id}/reject/ (manager) with an optional `reason`: 409 if already decided."""

    approve = False

    @extend_schema(request=RejectSerializer, responses=ToilEntrySerializer)
    def post(self, request: StaffAPIRequest, pk: int) -> Response:
        return super().post(request, pk)
