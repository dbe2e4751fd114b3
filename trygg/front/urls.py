"""The staff PWA shell at the site root: a worker served from / may control every page."""

from django.urls import path

from . import shell

app_name = "front"

urlpatterns = [
    path("manifest.webmanifest", shell.manifest, name="manifest"),
    path("sw.js", shell.service_worker, name="service_worker"),
    path("offline/", shell.offline, name="offline"),
    path("favicon.ico", shell.favicon, name="favicon"),
    # The alarm phone's own addresses before the shell moved here: phones that installed
    # the app or registered its worker there keep fetching them for updates. A worker's
    # script may not be redirected, so both answer as they are.
    path("alarms/phone/manifest.webmanifest", shell.manifest, name="alarm_phone_manifest"),
    path("alarms/phone/sw.js", shell.service_worker, name="alarm_phone_service_worker"),
]
