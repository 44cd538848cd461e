from django.urls import path

from rota import doctor_views

app_name = "doctors"

urlpatterns = [
    path("", doctor_views.directory, name="list"),
    path("new/", doctor_views.edit, name="new"),
    path("<int:pk>/edit/", doctor_views.edit, name="edit"),
]
