from django.urls import path

from . import views

app_name = "devices"

urlpatterns = [
    path("phones/", views.phone_list, name="phone_list"),
    path("phones/new/", views.phone_register, name="phone_register"),
    path("phones/<int:pk>/", views.phone_detail, name="phone_detail"),
    path("phones/<int:pk>/change/", views.phone_change, name="phone_change"),
]
