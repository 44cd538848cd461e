from django.urls import path

from assessments import application_views, views

app_name = "assessments"

urlpatterns = [
    path("referrals/<uuid:pk>/candidates/", views.candidates, name="candidates"),
    path("people/<uuid:pk>/", views.person, name="person"),
    path("my/allocations/", views.my_allocations, name="my_allocations"),
    path("board/", views.board, name="board"),
    path("assessments/<uuid:pk>/", views.detail, name="detail"),
    path("assessments/<uuid:pk>/accept/", views.accept, name="accept"),
    path("assessments/<uuid:pk>/decline/", views.decline, name="decline"),
    path("assessments/<uuid:pk>/timeline/", views.add_event, name="add_event"),
    path("assessments/<uuid:pk>/doctors/", views.add_doctor, name="add_doctor"),
    path("assessments/<uuid:pk>/record/", views.update_record, name="update_record"),
    path("assessments/<uuid:pk>/complete/", views.complete, name="complete"),
    path("assessments/<uuid:pk>/application/", application_views.application, name="application"),
    path("assessments/<uuid:pk>/documents/<slug:kind>/", application_views.document, name="document"),
    path(
        "assessments/<uuid:pk>/documents/<slug:kind>.pdf",
        application_views.document,
        {"fmt": "pdf"},
        name="document_pdf",
    ),
    path("assessments/<uuid:pk>/requests/", views.add_request, name="add_request"),
    path("assessments/<uuid:pk>/requests/<int:request_id>/", views.update_request, name="update_request"),
    path("assessments/<uuid:pk>/handover/", views.hand_on, name="handover"),
]
