from django.urls import path

from . import views

app_name = "locks"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("keys/<int:digitalkey_pk>/revoke/", views.revoke, name="revoke"),
]
