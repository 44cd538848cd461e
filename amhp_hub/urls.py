from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import SimpleRouter

from amhp_hub.common.forms import SignInForm
from amhp_hub.common.views import healthz, home
from referrals import api as referrals_api

router = SimpleRouter(trailing_slash=True)
router.register("referrals", referrals_api.ReferralViewSet, basename="referral")

api_v1 = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("queue/", referrals_api.QueueView.as_view(), name="api-queue"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-docs"),
    *router.urls,
    path("", include("rota.api_urls")),
    path("", include("assessments.api_urls")),
    path("", include("assessments.jobs_api_urls")),
    path("", include("planning.api_urls")),
    path("", include("dashboards.api_urls")),
]

urlpatterns = [
    path("", home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=SignInForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("", include("referrals.urls")),
    path("rota/", include("rota.urls")),
    path("", include("assessments.urls")),
    path("notifications/", include("assessments.notification_urls")),
    path("toil/", include("assessments.toil_urls")),
    path("planning/", include("planning.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("doctors/", include("rota.doctor_urls")),
]
