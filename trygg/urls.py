from django.contrib.auth import views as auth_views
from django.urls import include, path

from trygg.api import api
from trygg.core.admin import site as admin_site
from trygg.front import views as front_views
from trygg.visits import phone as visit_phone

handler403 = front_views.forbidden
handler404 = front_views.not_found

urlpatterns = [
    path("", front_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", front_views.set_language, name="set_language"),
    path("", include("trygg.front.urls")),
    path("", include("trygg.core.urls")),
    path("", include("trygg.integration.urls")),
    path("alarms/", include("trygg.alarms.urls")),
    path("devices/", include("trygg.devices.urls")),
    path("locks/", include("trygg.locks.urls")),
    path("notifications/", include("trygg.notifications.urls")),
    path("", include("trygg.outages.urls")),
    path("support/", include("trygg.support.urls")),
    path("supervision/", include("trygg.supervision.urls")),
    path("orders/", include("trygg.servicedesk.urls")),
    path("sensors/", include("trygg.sensors.urls")),
    path("training/", include("trygg.training.urls")),
    path("visits/", include("trygg.visits.urls")),
    # The link written on every NFC tag (lib.tagcodes): `<site>/t/<code>`.
    path("t/<str:code>", visit_phone.tag_link, name="tag_link"),
    path("api/v1/", api.urls),
    path("admin/", admin_site.urls),
]
