from django.urls import path

from . import billing_views, period_views, phone, tag_views, views

app_name = "visits"

urlpatterns = [
    # The staff phone's visit app (phone.py).
    path("phone/", phone.app, name="phone"),
    # The back office: staff, team leaders, managers and the municipality.
    path("mine/", views.mine, name="mine"),
    path("<int:pk>/", views.visit_detail, name="visit"),
    path("<int:pk>/correct/", views.correct, name="correct"),
    path("list/", views.visit_list, name="list"),
    path("review/", views.review_flags, name="review"),
    path("approvals/", views.approvals, name="approvals"),
    path("locks/", period_views.locks, name="locks"),
    path("rules/", period_views.rules, name="rules"),
    path("billing/", billing_views.overview, name="billing"),
    path("billing/<int:provider_pk>/", billing_views.provider_basis, name="billing_provider"),
    path(
        "billing/<int:provider_pk>/export.csv",
        billing_views.export,
        {"kind": "csv"},
        name="billing_csv",
    ),
    path(
        "billing/<int:provider_pk>/export.xlsx",
        billing_views.export,
        {"kind": "xlsx"},
        name="billing_xlsx",
    ),
    path("follow-up/", billing_views.follow_up, name="follow_up"),
    # NFC tags at the clients' doors (tag_views.py).
    path("tags/", tag_views.tag_page, name="tags"),
    path("tags/clients/", tag_views.tag_client_search, name="tag_client_search"),
    path("tags/register/", tag_views.tag_register, name="tag_register"),
    path("tags/<int:pk>/take-down/", tag_views.tag_retire, name="tag_retire"),
]
