from django.urls import path

from rota import api

urlpatterns = [
    path("rota/shifts/", api.ShiftListView.as_view(), name="api-rota-shifts"),
    path("rota/on-duty/", api.OnDutyView.as_view(), name="api-rota-on-duty"),
    path("rota/shift-types/", api.ShiftTypeListView.as_view(), name="api-rota-shift-types"),
    path("staff/", api.StaffListView.as_view(), name="api-staff"),
]
