from django.urls import path

from assessments import toil_api

urlpatterns = [
    path("toil/", toil_api.ToilListView.as_view(), name="api-toil"),
    path("toil/<int:pk>/approve/", toil_api.ToilApproveView.as_view(), name="api-toil-approve"),
    path("toil/<int:pk>/reject/", toil_api.ToilRejectView.as_view(), name="api-toil-reject"),
]
