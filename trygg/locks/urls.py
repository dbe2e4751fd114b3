from django.urls import path

from . import event_views, phone, views

app_name = "locks"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("keys/<int:digitalkey_pk>/revoke/", views.revoke, name="revoke"),
    # The phone's doors and what the locks say (phone.py, event_views.py).
    path("phone/", phone.app, name="phone"),
    path("phone/demo-door/", phone.demo_door, name="demo_door"),
    path("<int:lock_pk>/", event_views.lock_detail, name="lock"),
    path("staff/<int:user_pk>/", event_views.staff_events, name="staff"),
    path("review/", event_views.review_list, name="review"),
    path("events/<int:lockevent_pk>/review/", event_views.review_event, name="review_event"),
    path("battery/", event_views.battery_tasks, name="battery"),
    path("battery/<int:batterytask_pk>/change/", event_views.battery_change, name="battery_change"),
]
