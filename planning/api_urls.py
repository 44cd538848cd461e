from django.urls import path

from planning import api

urlpatterns = [
    path("plan/", api.PlanView.as_view(), name="api-plan"),
    path("plan/accept/", api.PlanAcceptView.as_view(), name="api-plan-accept"),
]
