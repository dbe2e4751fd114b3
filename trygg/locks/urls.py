from django.urls import path

from . import faultviews, keyviews, views

app_name = "locks"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("keys/<int:digitalkey_pk>/revoke/", views.revoke, name="revoke"),
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
