from django.urls import path

from . import views

app_name = "alarms"

urlpatterns = [
    path("", views.console, name="console"),
    path("queue/", views.console, {"partial": True}, name="queue"),
    path("stream/", views.stream, name="stream"),
    path("phone/", views.phone, name="phone"),
    path("phone/list/", views.phone, {"partial": True}, name="phone_list"),
    path("phone/stream/", views.stream, {"phone": True}, name="phone_stream"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/door-code/", views.door_code, name="door_code"),
    path("<int:pk>/acknowledge/", views.step, {"name": "acknowledge"}, name="acknowledge"),
    path("<int:pk>/accept/", views.step, {"name": "accept"}, name="accept"),
    path("<int:pk>/assign/", views.step, {"name": "assign"}, name="assign"),
    path("<int:pk>/on-site/", views.step, {"name": "on_site"}, name="on_site"),
    path("<int:pk>/close/", views.step, {"name": "close"}, name="close"),
    path("<int:pk>/note/", views.step, {"name": "note"}, name="note"),
]
