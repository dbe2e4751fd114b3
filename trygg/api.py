"""The JSON API under /api/v1/: people with sessions, integrations and devices with bearer
tokens (`core.apiauth`). The composition root of the API: every app's router is mounted
here, the same way."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI

from trygg.alarms.api import router as alarms_router
from trygg.core.api import router as core_router
from trygg.devices.api import router as devices_router
from trygg.integration.api import router as integration_router
from trygg.locks.api import router as locks_router
from trygg.locks.device_api import router as lock_device_router
from trygg.outages.api import router as outages_router
from trygg.receivers.api import router as device_router
from trygg.servicedesk.api import router as servicedesk_router
from trygg.support.api import router as support_router
from trygg.training.api import router as training_router
from trygg.visits.api import router as visits_router

api = NinjaAPI(
    title="Trygg API",
    version="1",
    description=(
        "Welfare technology for municipal home care. People authenticate with their "
        "session; integrations and devices with a bearer token."
    ),
    urls_namespace="api",
)

api.add_router("/", core_router)
api.add_router("/alarms/", device_router)
api.add_router("/alarms/", alarms_router)
api.add_router("/devices/", devices_router)
api.add_router("/integration/", integration_router)
api.add_router("/locks/", locks_router)
api.add_router("/locks/device/", lock_device_router)
api.add_router("/outages/", outages_router)
api.add_router("/servicedesk/", servicedesk_router)
api.add_router("/support/", support_router)
api.add_router("/training/", training_router)
api.add_router("/visits/", visits_router)


@api.exception_handler(PermissionError)
def _forbidden(request: HttpRequest, exc: PermissionError) -> Any:
    return api.create_response(request, {"detail": str(exc) or "Forbidden"}, status=403)
