from django.urls import path

from rota import api

urlpatterns = [
    path("rota/shifts/", api.ShiftListView.as_view(), name="api-rota-shifts"),
    path("rota/on-duty/", api.OnDutyView.as_view(), name="api-rota-on-duty"),
]
