"""The signed-in user's notifications, with mark-as-read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from assessments import notify


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(notify.notifications_for(user=request.user), 50).get_page(request.GET.get("page"))
    notifications = list(page.object_list)
    unread = sum(1 for n in notifications if n.read_at is None)
    return render(
        request,
        "notifications/list.html",
        {"page_obj": page, "notifications": notifications, "unread_on_page": unread},
    )


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of the user's notifications read; anyone else's is not found (404)."""
    if not notify.notifications_for(user=request.user).filter(pk=pk).exists():
        raise Http404("No such notification")
    notify.notifications_mark_read(user=request.user, ids=[pk])
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    notify.notifications_mark_read(user=request.user)
    return redirect("notifications:list")
