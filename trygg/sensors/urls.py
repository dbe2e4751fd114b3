from django.urls import path

from . import views

app_name = "sensors"

urlpatterns = [
    path("", views.events, name="events"),
    path("report/", views.report_page, name="report"),
    path("clients/<int:pk>/", views.client_sensors, name="client"),
    path("clients/<int:pk>/rules/<int:sensorrule_pk>/", views.rule_edit, name="rule_edit"),
    path(
        "clients/<int:pk>/rules/<int:sensorrule_pk>/delete/", views.rule_delete, name="rule_delete"
    ),
]
