"""Every operation of the JSON API against its own OpenAPI schema, property-based.

Schemathesis reads the schema the server publishes (/api/v1/openapi.json), generates
requests for each operation (valid and invalid parameters and bodies), sends them through
the WSGI application in this process and checks every answer: never a server error, a
status code the operation documents, a content type and a body that match what it documents
for that status, and credentials that are enforced (each operation is also tried without
them and with invalid ones).

Every operation runs once from each side of the secrecy boundary:
- the municipality: a municipal administrator's session and the case system's token;
- a provider: its manager's session and a token bound to that provider.
Both use an alarm unit's device token for the alarm units' operations. Path ids are drawn
from real objects (the caller's own, another provider's, another municipality's) as well as
generated ones, and body fields such as `provider_id`, `imei` or an order's `type` from
real values, so the checks reach records, successes and refusals, not only "not found".
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.contrib.sessions.models import Session
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import Client as HttpClient
from django.test import override_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from pydantic import BaseModel, WithJsonSchema
from schemathesis.schemas import BaseSchema

from trygg.api import api
from trygg.core.constants import Role
from trygg.core.models import ApiToken, Municipality, Provider, User
from trygg.core.tests.factories import make_staff
from trygg.core.tests.world import World, build_world
from trygg.core.tokens import digest
from trygg.devices.identifiers import make_imei
from trygg.devices.models import AlarmProtocol, AlarmUnit
from trygg.devices.services import issue_device_token, place_unit
from trygg.servicedesk.models import OrderType

# The same requests on every run and on both databases; no example database, so a failure
# is found again from the seed, not from a file left behind.
CONFIG = {
    "seed": 20261207,
    "generation": {
        "deterministic": True,
        "database": "none",
        "max-examples": 12,
        # The credentials are the caller's (CallerAuth), never generated.
        "with-security-parameters": False,
        # Text with NUL is refused everywhere (422; PostgreSQL cannot hold it), a rule the
        # schema does not state: test_text_with_nul_is_refused_with_422 covers it.
        "allow-x00": False,
    },
    # The stateful phase chains operations by links the schema does not declare.
    "phases": {"stateful": {"enabled": False}},
    "checks": {
        # A request the schema calls valid may still break a rule the schema cannot state
        # (that phone's provider, that order's status): 400 or 409 with a message. A 422 is
        # ninja's refusal of what the schema says it takes, so the schema is wrong.
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "400", "401", "403", "404", "409"]
        },
    },
    "operations": [
        {
            # Placing an order answers its own rules with 422 (an unknown order type, wrong
            # values for its fields), as the operation documents.
            "include-path": "/api/v1/servicedesk/orders",
            "include-method": "POST",
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "422"]
                }
            },
        }
    ],
}
# The browser's pair: the CSRF cookie and the header carry the same secret.
CSRF_SECRET = "SchemathesisCsrfSecret0123456789"


@dataclass(frozen=True)
class Credentials:
    """Fixed in advance: schemathesis attaches them to cases as it builds them, some at
    collection time; the `api_world` fixture makes the session and tokens they name."""

    side: str
    session_key: str
    import_token: str
    device_token: str = "trg_schemathesis-device-token"


MUNICIPALITY = Credentials(
    "municipality", "schemathesismunicipaladmin", "trg_schemathesis-case-system"
)
PROVIDER = Credentials("provider", "schemathesisprovidermanager", "trg_schemathesis-provider")

# Real values a path parameter or a body field of that name may take (ids of the caller's own
# objects and of others', an IMEI with its check digit, an order type's code), filled by
# `api_world` before the first request.
_real_values: dict[str, list[Any]] = {}


class CallerAuth:
    """A caller's credentials, by what the operation declares: a session (with the CSRF
    pair a browser sends) or a bearer token (an alarm unit's for the alarm operations)."""

    credentials: Credentials

    def get(self, case: Any, ctx: Any) -> Credentials:
        return self.credentials

    def set(self, case: Any, credentials: Credentials, ctx: Any) -> None:
        schemes = {n for need in case.operation.definition.raw.get("security", []) for n in need}
        headers = dict(case.headers or {})
        if "BearerToken" in schemes:
            device = "alarms" in (case.operation.tags or [])
            token = credentials.device_token if device else credentials.import_token
            headers["Authorization"] = f"Bearer {token}"
        elif "SessionAuth" in schemes:
            case.cookies = {
                **(case.cookies or {}),
                "sessionid": credentials.session_key,
                "csrftoken": CSRF_SECRET,
            }
            headers["X-CSRFToken"] = CSRF_SECRET
        case.headers = headers


def _choices(values: dict[str, Any]) -> Any:
    return st.fixed_dictionaries(
        {
            name: st.sampled_from([value, *_real_values.get(name, [])])
            for name, value in values.items()
        }
    )


def flatmap_case(context: Any, case: Any) -> Any:
    """A schema-valid case keeps its generated values or takes real ones, so it reaches
    records, successes and refusals beyond "not found". Invalid cases are left alone: they
    must stay invalid."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return st.just(case)
    body = case.body if isinstance(case.body, dict) else {}

    def with_real(chosen: tuple[dict[str, Any], dict[str, Any]]) -> Any:
        path, fields = chosen
        if path:
            case.path_parameters = {**case.path_parameters, **path}
        if fields:
            case.body = {**body, **fields}
        return case

    wanted = {name: value for name, value in body.items() if name in _real_values}
    return st.tuples(_choices(case.path_parameters or {}), _choices(wanted)).map(with_real)


def _schema(credentials: Credentials) -> BaseSchema:
    loaded = schemathesis.openapi.from_wsgi(
        "/api/v1/openapi.json",
        get_wsgi_application(),
        config=schemathesis.Config.from_dict(CONFIG),
    )
    auth = type(f"{credentials.side.title()}Auth", (CallerAuth,), {"credentials": credentials})
    loaded.auth(refresh_interval=None)(auth)
    loaded.hook(flatmap_case)
    return loaded


municipality_schema = _schema(MUNICIPALITY)
provider_schema = _schema(PROVIDER)


def _session(user: User, key: str) -> None:
    http = HttpClient()
    http.force_login(user)
    Session.objects.filter(session_key=http.session.session_key).update(session_key=key)


def _token(plain: str, municipality: Municipality, provider: Provider | None = None) -> None:
    ApiToken.objects.create(
        name=f"Schemathesis {plain}",
        municipality=municipality,
        provider=provider,
        scopes="import",
        prefix=plain[4:12],
        digest=digest(plain),
    )


def _make_callers(world: World) -> None:
    own, neighbour, remote = world.own, world.neighbour, world.remote
    admin = world.personas[Role.MUNICIPAL_ADMIN]
    manager = make_staff(Role.PROVIDER_MANAGER, provider=own.provider, username="st_manager")
    _session(admin, MUNICIPALITY.session_key)
    _session(manager, PROVIDER.session_key)
    _token(MUNICIPALITY.import_token, own.municipality)
    _token(PROVIDER.import_token, own.municipality, own.provider)
    unit = AlarmUnit.objects.create(
        municipality=own.municipality,
        model_name="Trygghetslarm med HTTPS",
        serial_number="SN-SCHEMATHESIS",
        protocol=AlarmProtocol.API,
        heartbeat_interval=300,
    )
    place_unit(admin, unit, client=own.client, active_from=dt.date(2020, 1, 1))
    token, _plain = issue_device_token(admin, unit)
    plain = MUNICIPALITY.device_token
    ApiToken.objects.filter(pk=token.pk).update(digest=digest(plain), prefix=plain[4:12])
    lock_fault = OrderType.objects.get(municipality=own.municipality, code="lock_fault")
    _real_values.update(
        client_id=[own.client.pk, neighbour.client.pk, remote.client.pk],
        phone_id=[own.phone.pk, neighbour.phone.pk, remote.phone.pk],
        order_id=[own.order.pk, neighbour.order.pk, remote.order.pk],
        outage_id=[own.shared["outage"].pk, remote.shared["outage"].pk],
        provider_id=[own.provider.pk, neighbour.provider.pk, remote.provider.pk],
        municipality_id=[own.municipality.pk, remote.municipality.pk],
        service_id=[own.shared["service"].pk, remote.shared["service"].pk],
        assigned_to_id=[own.staff.pk, neighbour.staff.pk],
        ordered_by_id=[admin.pk, own.staff.pk],
        approved_by_id=[admin.pk],
        imei=[make_imei("35487600000011"), make_imei("35487600000022")],
        type=[lock_fault.code, "user_account"],
        currency=["SEK", "NOK"],
    )


@pytest.fixture(scope="module")
def api_world(
    django_db_setup: None,
    django_db_blocker: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[World]:
    """Built once for the module inside a transaction rolled back at its end; each
    operation's examples run in a savepoint of their own inside it."""
    with (
        override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media"))),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        world = build_world()
        _make_callers(world)
        yield world
        _real_values.clear()
        transaction.set_rollback(True)


@pytest.fixture
def in_process(api_world: World, db: None) -> Iterator[None]:
    """Requests served in this thread, inside the test's transaction. Django closes a
    connection that is not in autocommit at the end of each request, which would end that
    transaction; the test client lifts the same rule."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


# One operation's examples share the fixture on purpose: they run in one savepoint, rolled
# back after the operation. A large body (a training session: systems, agenda, repeats) makes
# the generator throw many drafts away before one fits the schema; that is about generating,
# not about the API, so it does not stop the check.
EXAMPLES = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much]
)


@municipality_schema.parametrize()
@EXAMPLES
def test_the_api_keeps_to_its_schema_for_the_municipality(case: Any, in_process: None) -> None:
    case.call_and_validate()


@provider_schema.parametrize()
@EXAMPLES
def test_the_api_keeps_to_its_schema_for_a_provider(case: Any, in_process: None) -> None:
    case.call_and_validate()


def _named_types(annotation: Any, found: dict[str, set[type]]) -> None:
    """The models and enums an annotation uses, through lists, unions and nested models."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel | enum.Enum):
        if annotation.__module__.startswith("trygg."):
            if annotation in found.get(annotation.__name__, set()):
                return
            found.setdefault(annotation.__name__, set()).add(annotation)
        if issubclass(annotation, BaseModel):
            for field in annotation.model_fields.values():
                # A field that describes itself inline adds no component.
                if not any(isinstance(m, WithJsonSchema) for m in field.metadata):
                    _named_types(field.annotation, found)
        return
    for argument in typing.get_args(annotation):
        _named_types(argument, found)


def test_each_schema_in_the_api_has_a_name_of_its_own() -> None:
    """The OpenAPI document names a model or an enum by its class name, so two classes of
    one name in the API are one component, and one of them is described wrongly (the
    outages' and the support's `System` were: "phones" passed the schema and was refused)."""
    found: dict[str, set[type]] = {}
    for _prefix, router in api._routers:
        for view in router.path_operations.values():
            for operation in view.operations:
                models = [*operation.models, *(operation.response_models or {}).values()]
                for model in models:
                    _named_types(model, found)
    shared = {
        name: sorted(f"{c.__module__}.{c.__qualname__}" for c in classes)
        for name, classes in found.items()
        if len(classes) > 1
    }
    assert not shared, f"one name for several schemas: {shared}"


@pytest.mark.parametrize(
    ("method", "path", "body", "where"),
    [
        ("get", "/api/v1/access-log?staff=a%00b", None, ["query", "staff"]),
        ("get", "/api/v1/clients?q=%00", None, ["query", "q"]),
        ("post", "/api/v1/devices/phones", {"provider_id": 1, "model_name": "X\x00"}, None),
        ("post", "/api/v1/support/call-outs", {"note": "\x00", "vendor": "AB"}, ["body", "note"]),
    ],
)
def test_text_with_nul_is_refused_with_422(
    in_process: None, method: str, path: str, body: Any, where: list[str] | None
) -> None:
    """PostgreSQL can neither store nor compare text with the NUL character: a filter or a
    field holding one was a 500 there, an alarm unit's event text a 503 it sent again and
    again. Refused like any invalid field, on both databases."""
    http = HttpClient()
    http.force_login(User.objects.get(username=f"p_{Role.PROVIDER_MANAGER}"))
    if method == "get":
        response = http.get(path)
    else:
        response = http.post(path, json.dumps(body), content_type="application/json")
    assert response.status_code == 422, response.content
    issue = response.json()["detail"][0]
    assert issue["type"] == "string_nul"
    assert issue["loc"] == (where or ["body", "model_name"])
    assert "NUL" in issue["msg"]


def test_an_alarm_text_with_nul_is_refused_not_left_to_fail(in_process: None) -> None:
    message = {
        "id": "m-nul",
        "time": "2026-11-20T12:00:00+01:00",
        "events": [{"kind": "alarm", "text": "Hj\x00lp"}],
    }
    response = HttpClient().post(
        "/api/v1/alarms/events",
        json.dumps(message),
        content_type="application/json",
        headers={"Authorization": f"Bearer {MUNICIPALITY.device_token}"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "events", 0, "text"]


def test_an_offset_postgresql_cannot_store_is_taken_as_the_same_instant(
    in_process: None,
) -> None:
    """Python takes UTC offsets up to 23:59, PostgreSQL up to 15:59: an outage planned with
    `-21:28` was a 500 there."""
    http = HttpClient()
    http.force_login(User.objects.get(username=f"p_{Role.MUNICIPAL_ADMIN}"))
    body = {
        "system": "visit_app",
        "kind": "unplanned",
        "title": "Avbrott",
        "starts_at": "2026-12-01T08:00:00-21:28",
        "ends_at": "2026-12-01T09:00:00-21:28",
        "override_reason": "Akut",
    }
    response = http.post("/api/v1/outages/", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["starts_at"] == "2026-12-02T05:28:00Z"
