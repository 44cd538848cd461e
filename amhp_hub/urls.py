from __future__ import annotations

from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.decorators import method_decorator
from django_otp.admin import OTPAdminSite
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView
from rest_framework.routers import SimpleRouter

from amhp_hub.common import mfa_views
from amhp_hub.common.forms import SignInForm
from amhp_hub.common.tokens import ObtainTokenView
from amhp_hub.common.views import SignInView, healthz
from amhp_hub.views import home
from referrals import api as referrals_api

# /admin/ needs a verified second factor as well as staff status.
admin.site.__class__ = OTPAdminSite
handler500 = "amhp_hub.common.security.server_error"


@method_decorator(csp_update({"style-src": ["'unsafe-inline'"]}), name="dispatch")
class DocsView(SpectacularRedocView):
    """Redoc, served from static/; it needs a signed-in, verified user like the schema."""


router = SimpleRouter(trailing_slash=True)
router.register("referrals", referrals_api.ReferralViewSet, basename="referral")

api_v1 = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("queue/", referrals_api.QueueView.as_view(), name="api-queue"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
    *router.urls,
    path("", include("rota.api_urls")),
    path("", include("assessments.api_urls")),
    path("", include("assessments.jobs_api_urls")),
    path("", include("dashboards.api_urls")),
]

urlpatterns = [
    path("", home, name="home"),
    path("login/", SignInView.as_view(redirect_authenticated_user=True, authentication_form=SignInForm), name="login"),
    path("mfa/setup/", mfa_views.setup, name="mfa-setup"),
    path("mfa/verify/", mfa_views.verify, name="mfa-verify"),
    path("mfa/recovery-codes/", mfa_views.recovery_codes, name="mfa-recovery-codes"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("", include("referrals.urls")),
    path("rota/", include("rota.urls")),
    path("", include("assessments.urls")),
    path("notifications/", include("assessments.notification_urls")),
    path("toil/", include("assessments.toil_urls")),
    path("dashboards/", include("dashboards.urls")),
]
