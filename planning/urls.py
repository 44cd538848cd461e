from django.urls import path

from planning import views

app_name = "planning"

urlpatterns = [
    path("plan/", views.plan_page, name="plan"),
    path("plan/changed/", views.plan_changed, name="plan-changed"),
    path("designer/", views.designer_page, name="designer"),
    path("designer/<int:pk>/", views.design_run_page, name="run"),
    path("designer/<int:pk>/progress/", views.design_run_progress, name="progress"),
    path("designer/<int:pk>/<slug:table>.csv", views.design_run_csv, name="csv"),
]
