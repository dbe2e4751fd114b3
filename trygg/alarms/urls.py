from django.urls import path

from . import views

app_name = "alarms"

urlpatterns = [
    path("", views.console, name="console"),
    path("queue/", views.queue, name="queue"),
    path("stream/", views.stream, name="stream"),
    path("phone/", views.phone, name="phone"),
    path("phone/list/", views.phone_list, name="phone_list"),
    path("phone/manifest.webmanifest", views.manifest, name="manifest"),
    path("phone/sw.js", views.service_worker, name="service_worker"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/door-code/", views.door_code, name="door_code"),
    path("<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<int:pk>/accept/", views.accept, name="accept"),
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("<int:pk>/on-site/", views.on_site, name="on_site"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/note/", views.note, name="note"),
]
