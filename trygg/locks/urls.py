from django.urls import path

from . import event_views, faultviews, keyviews, phone, views

app_name = "locks"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("keys/<int:digitalkey_pk>/revoke/", views.revoke, name="revoke"),
    # The phone's doors and what the locks say (phone.py, event_views.py).
    path("phone/", phone.app, name="phone"),
    path("phone/demo-door/", phone.demo_door, name="demo_door"),
    path("<int:lock_pk>/", event_views.lock_detail, name="lock"),
    path("<int:lock_pk>/remove/", event_views.lock_remove, name="lock_remove"),
    path("staff/<int:user_pk>/", event_views.staff_events, name="staff"),
    path("review/", event_views.review_list, name="review"),
    path("events/<int:lockevent_pk>/review/", event_views.review_event, name="review_event"),
    path("battery/", event_views.battery_tasks, name="battery"),
    path("battery/<int:batterytask_pk>/change/", event_views.battery_change, name="battery_change"),
    # Physical keys, backup keys, lock faults, installation (keyviews, faultviews).
    path("keys/", keyviews.keys_home, name="keys"),
    path("keys/receipts/", keyviews.receipt_list, name="receipts"),
    path("keys/receipts/new/", keyviews.receipt_new, name="receipt_new"),
    path("keys/receipts/<int:keyreceipt_pk>/", keyviews.receipt_detail, name="receipt"),
    path(
        "keys/receipts/<int:keyreceipt_pk>/return/",
        keyviews.receipt_return,
        name="receipt_return",
    ),
    path("keys/receipts/<int:keyreceipt_pk>/scan/", keyviews.receipt_scan, name="receipt_scan"),
    path("keys/backup/", keyviews.backup_key_list, name="backup_keys"),
    path("keys/backup/new/", keyviews.backup_key_new, name="backup_key_new"),
    path("keys/backup/<int:backupkey_pk>/", keyviews.backup_key_detail, name="backup_key"),
    path("keys/backup/<int:backupkey_pk>/lend/", keyviews.backup_key_lend, name="backup_key_lend"),
    path(
        "keys/backup/<int:backupkey_pk>/return/",
        keyviews.backup_key_return,
        name="backup_key_return",
    ),
    path("faults/", faultviews.fault_new, name="fault_new"),
    path("faults/<int:lockfault_pk>/", faultviews.fault_detail, name="fault"),
    path("install/<int:order_pk>/", faultviews.install, name="install"),
]
