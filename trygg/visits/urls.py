from django.urls import path

from . import phone

app_name = "visits"

urlpatterns = [
    # The staff phone's visit app (phone.py).
    path("phone/", phone.app, name="phone"),
]
