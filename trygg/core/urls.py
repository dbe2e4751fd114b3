from django.urls import path

from . import consent_views, views

app_name = "core"

urlpatterns = [
    path("clients/", views.client_list, name="client_list"),
    path("clients/<int:pk>/", views.client_detail, name="client_detail"),
    path("clients/<int:pk>/door-code/", views.client_door_code, name="client_door_code"),
    path("clients/<int:pk>/consents/new/", consent_views.consent_create, name="consent_create"),
    path(
        "clients/<int:pk>/consents/<int:consent_pk>/withdraw/",
        consent_views.consent_withdraw,
        name="consent_withdraw",
    ),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/<int:pk>/", views.team_detail, name="team_detail"),
    path("providers/", views.provider_list, name="provider_list"),
    path("providers/<int:pk>/", views.provider_detail, name="provider_detail"),
    path("audit/access-log/", views.access_log, name="access_log"),
]
