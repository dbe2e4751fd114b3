from django.urls import path

from . import views

app_name = "servicedesk"

urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("new/", views.order_new, name="order_new"),
    path("new/<int:type_pk>/", views.order_create, name="order_create"),
    path("new/<int:type_pk>/clients/", views.order_client_search, name="order_client_search"),
    path("<int:pk>/", views.order_detail, name="order_detail"),
    path("<int:pk>/status/", views.order_status, name="order_status"),
    path(
        "<int:pk>/status/<slug:to_status>/",
        views.order_status_confirm,
        name="order_status_confirm",
    ),
    path("<int:pk>/steps/<int:step_pk>/", views.order_step, name="order_step"),
    path("<int:pk>/comments/", views.order_comment, name="order_comment"),
    path("<int:pk>/result/", views.order_result, name="order_result"),
    path("<int:pk>/result/waiting/", views.order_result_waiting, name="order_result_waiting"),
    path("<int:pk>/attachments/", views.order_attachment_add, name="order_attachment_add"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/",
        views.order_attachment,
        name="order_attachment",
    ),
]
