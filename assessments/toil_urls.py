from django.urls import path

from assessments import toil_views

app_name = "toil"

urlpatterns = [
    path("", toil_views.toil_index, name="index"),
    path("take/", toil_views.toil_take, name="take"),
    path("<int:pk>/approve/", toil_views.toil_approve, name="approve"),
    path("approve/", toil_views.toil_approve_selected, name="approve_selected"),
    path("<int:pk>/reject/", toil_views.toil_reject, name="reject"),
]
