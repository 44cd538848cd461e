from django.urls import path

from rota import staff_views, views

app_name = "rota"

urlpatterns = [
    path("", views.rota, name="rota"),
    path("shifts/", views.shift_place, name="shift_place"),
    path("shifts/<uuid:pk>/cancel/", views.shift_cancel, name="shift_cancel"),
    path("shift-types/", views.shift_types, name="shift_types"),
    path("shift-types/<int:pk>/", views.shift_type_edit, name="shift_type_edit"),
    path("patterns/", views.patterns, name="patterns"),
    path("on-duty/", views.on_duty, name="on_duty"),
    path("leave/", views.leave, name="leave"),
    path("leave/<int:pk>/cancel/", views.leave_cancel, name="leave_cancel"),
    path("swaps/", views.swaps, name="swaps"),
    path("swaps/<int:pk>/decide/", views.swap_decide, name="swap_decide"),
    path("swaps/<int:pk>/withdraw/", views.swap_withdraw, name="swap_withdraw"),
    path("frequency/", views.frequency, name="frequency"),
    path("mine/", views.mine, name="mine"),
    path("mine/calendar-token/", views.calendar_token, name="calendar_token"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("staff/", staff_views.staff_list, name="staff"),
    path("staff/<uuid:pk>/deactivate/", staff_views.staff_deactivate, name="staff_deactivate"),
]
