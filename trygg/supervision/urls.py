from django.urls import path

from . import plan_views, views

app_name = "supervision"

urlpatterns = [
    path("", plan_views.plan_list, name="plans"),
    path("round/", views.night_round, name="round"),
    path("lookins/<int:pk>/", views.lookin_detail, name="lookin"),
    path("lookins/<int:pk>/open/", views.lookin_open, name="lookin_open"),
    path("lookins/<int:pk>/outcome/", views.lookin_outcome, name="lookin_outcome"),
    path("lookins/<int:pk>/call/", views.lookin_call, name="lookin_call"),
    path("sessions/<int:camerasession_pk>/", views.session_detail, name="session"),
    path("sessions/<int:camerasession_pk>/picture/", views.session_picture, name="session_picture"),
    path("plans/<int:pk>/", plan_views.plan_detail, name="plan"),
    path("plans/<int:pk>/edit/", plan_views.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/journal/", plan_views.plan_journal, name="plan_journal"),
    path("plans/<int:pk>/pause/", plan_views.plan_pause, name="plan_pause"),
    path("plans/<int:pk>/remove/", plan_views.plan_remove, name="plan_remove"),
    path("plans/<int:pk>/repaired/", plan_views.plan_repaired, name="plan_repaired"),
    path("orders/<int:order_pk>/report-back/", plan_views.report_back, name="report_back"),
    path("reports/", plan_views.report, name="report"),
]
