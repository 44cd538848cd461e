from django.urls import path

from assessments import api, request_api

urlpatterns = [
    path("referrals/<uuid:pk>/candidates/", api.CandidatesView.as_view(), name="api-referral-candidates"),
    path("referrals/<uuid:pk>/allocate/", api.AllocateView.as_view(), name="api-referral-allocate"),
    path("referrals/<uuid:pk>/requests/", request_api.CaseRequestListView.as_view(), name="api-referral-requests"),
    path(
        "referrals/<uuid:pk>/requests/<int:request_id>/",
        request_api.CaseRequestDetailView.as_view(),
        name="api-referral-request",
    ),
    path("me/allocations/", api.MyAllocationsView.as_view(), name="api-my-allocations"),
    path("assessments/<uuid:pk>/", api.AssessmentDetailView.as_view(), name="api-assessment"),
    path("assessments/<uuid:pk>/accept/", api.AcceptView.as_view(), name="api-assessment-accept"),
    path("assessments/<uuid:pk>/decline/", api.DeclineView.as_view(), name="api-assessment-decline"),
    path("assessments/<uuid:pk>/complete/", api.CompleteView.as_view(), name="api-assessment-complete"),
    path("assessments/<uuid:pk>/application/", api.ApplicationView.as_view(), name="api-assessment-application"),
    path("assessments/<uuid:pk>/handover/", api.HandoverView.as_view(), name="api-assessment-handover"),
    path("assessments/<uuid:pk>/reassign/", api.ReassignView.as_view(), name="api-assessment-reassign"),
    path("assessments/<uuid:pk>/timeline/", api.TimelineView.as_view(), name="api-assessment-timeline"),
]
