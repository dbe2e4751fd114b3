from django.urls import path

from . import views

app_name = "outages"

urlpatterns = [
    path("status/", views.status_page, name="status"),
    path("status/outages.ics", views.status_feed, name="feed"),
    path("outages/", views.outage_list, name="list"),
    path("outages/new/", views.outage_plan, name="plan"),
    path("outages/<int:pk>/", views.outage_detail, name="detail"),
    path("outages/<int:pk>/announce/", views.outage_announce, name="announce"),
    path("outages/<int:pk>/reschedule/", views.outage_reschedule, name="reschedule"),
    path("outages/<int:pk>/cancel/", views.outage_cancel, name="cancel"),
    path("outages/<int:pk>/complete/", views.outage_complete, name="complete"),
    path("outages/<int:pk>/hide-banner/", views.hide_banner, name="hide_banner"),
]
