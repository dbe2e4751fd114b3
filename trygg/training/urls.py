from django.urls import path

from . import views

app_name = "training"

urlpatterns = [
    path("", views.index, name="index"),
    path("me/", views.me, name="me"),
    path("providers/<int:provider_pk>/", views.provider_detail, name="provider"),
    path("providers/<int:provider_pk>/start/", views.start_plan, name="start_plan"),
    path("providers/<int:provider_pk>/book/", views.book, name="book"),
    path("providers/<int:provider_pk>/web-course/", views.web_course, name="web_course"),
    path("providers/<int:provider_pk>/support-users/", views.support_user, name="support_user"),
    path("sessions/", views.session_list, name="sessions"),
    path("sessions/new/", views.session_new, name="session_new"),
    path("sessions/<int:session_pk>/", views.session_detail, name="session"),
    path("sessions/<int:session_pk>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:session_pk>/cancel/", views.session_cancel, name="session_cancel"),
    path("bookings/<int:booking_pk>/cancel/", views.booking_cancel, name="booking_cancel"),
    path("bookings/<int:booking_pk>/move/", views.booking_move, name="booking_move"),
    path(
        "bookings/<int:booking_pk>/attendance/",
        views.booking_attendance,
        name="booking_attendance",
    ),
]
