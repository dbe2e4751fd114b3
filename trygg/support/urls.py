from django.urls import path

from . import views

app_name = "support"

urlpatterns = [
    path("", views.who_to_call_page, name="who_to_call"),
    path("services/", views.service_catalogue, name="services"),
    path("call-outs/", views.call_out_list, name="call_outs"),
    path("call-outs/new/", views.call_out_create, name="call_out_create"),
]
