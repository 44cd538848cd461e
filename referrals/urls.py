from django.urls import path

from referrals import access_views, views

app_name = "referrals"

urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("referrals/new/", views.referral_create, name="create"),
    path("referrals/drafts/", views.my_drafts, name="drafts"),
    path("search/", views.search, name="search"),
    path("search/<uuid:pk>/", views.search_results, name="search_results"),
    path("referrals/<uuid:pk>/", views.referral_detail, name="detail"),
    path("referrals/<uuid:pk>/edit/", views.referral_edit, name="edit"),
    path("referrals/<uuid:pk>/triage/", views.referral_triage, name="triage"),
    path("referrals/<uuid:pk>/extend/", views.referral_extend, name="extend"),
    path("referrals/<uuid:pk>/legal-status/", views.referral_legal_status, name="legal_status"),
    path("referrals/<uuid:pk>/admit/", views.referral_admit, name="admit"),
    path("people/<uuid:pk>/access/", access_views.person_access, name="person_access"),
]
