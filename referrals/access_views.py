"""Managers' view of the audit trail for one person: who looked at or changed their record, when, from where."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from amhp_hub.common.audit import audit
from amhp_hub.common.models import AuditEvent
from amhp_hub.common.web import role_required
from referrals.models import Person
from rota.models import Role


def person_access_events(person: Person) -> object:
    """Audit events about PERSON: their record, each of their referrals (viewed, listed, changed), newest first."""
    referral_ids = [str(pk) for pk in person.referrals.values_list("pk", flat=True)]
    about = Q(object_type="person", object_id=str(person.pk)) | Q(object_type="referral", object_id__in=referral_ids)
    return AuditEvent.objects.filter(about, service_id=person.service_id).select_related("actor").order_by("-at", "-id")


@role_required(Role.MANAGER)
def person_access(request: HttpRequest, pk: str) -> HttpResponse:
    person = get_object_or_404(Person, pk=pk, service_id=request.user.staff_profile.service_id)
    page = Paginator(person_access_events(person), settings.QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    audit(actor=request.user, service_id=person.service_id, action="view", obj=person, changes={"page": "access log"})
    return render(request, "referrals/person_access.html", {"person": person, "page_obj": page})
