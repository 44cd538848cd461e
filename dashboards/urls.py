from django.urls import path

from dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.index, name="index"),
    path("monthly/", views.monthly, name="monthly"),
    path("population/", views.population, name="population"),
    path("approvals/", views.approvals, name="approvals"),
    path("<slug:table>.csv", views.table_csv, name="csv"),
    path("<slug:slug>/", views.section, name="section"),
]
