from django.urls import path

from assessments import views

app_name = "assessments"

urlpatterns = [
    path("referrals/<uuid:pk>/candidates/", views.candidates, name="candidates"),
    path("people/<uuid:pk>/", views.person, name="person"),
    path("my/allocations/", views.my_allocations, name="my_allocations"),
    path("assessments/<uuid:pk>/", views.detail, name="detail"),
    path("assessments/<uuid:pk>/accept/", views.accept, name="accept"),
    path("assessments/<uuid:pk>/decline/", views.decline, name="decline"),
    path("assessments/<uuid:pk>/timeline/", views.add_event, name="add_event"),
    path("assessments/<uuid:pk>/doctors/", views.add_doctor, name="add_doctor"),
    path("assessments/<uuid:pk>/record/", views.update_record, name="update_record"),
    path("assessments/<uuid:pk>/complete/", views.complete, name="complete"),
]
