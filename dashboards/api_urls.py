from django.urls import path

from dashboards import api

urlpatterns = [
    path("dashboards/<slug:section>/", api.DashboardSectionView.as_view(), name="api-dashboard-section"),
]
