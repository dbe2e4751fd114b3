"""Every URL pattern and API operation, as every role: nothing outside the secrecy boundary.

Staff of one provider never see another provider's clients, and nobody in one municipality
sees another municipality's: not in pages, the API, exports, search or the admin. The walk
is generic: it enumerates the URL resolver and the API's OpenAPI schema, fills path
parameters with ids of objects the persona must not see (and of its own), and requests
every route with every method. A route it cannot classify fails the first test, so a new
one has to be considered here before it ships.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

from trygg.api import api
from trygg.core.constants import Role
from trygg.core.models import Client

from .world import NO_ROLE, Corner, World

pytestmark = pytest.mark.django_db

# Routes anyone may open without logging in. Adding a name here is a decision: say why.
PUBLIC_URL_NAMES = frozenset(
    {
        "login",
        "logout",
        "set_language",
        "admin:login",  # sends people to the one login page
        "admin:logout",  # sends people without the admin back to its index, then to login
        "api:openapi-json",  # the API's description holds no data
        "api:openapi-view",
        "api:api-root",
        # The status page and its calendar feed are for everyone, logged in or not: planned
        # outages of a system are public information, and they name no client.
        "outages:status",
        "outages:feed",
        "api:outage_status",
        # The staff app shell (front): the web-app manifest, the service worker and the
        # offline page are static texts with no data, at the alarm phone's old addresses too.
        "front:manifest",
        "front:service_worker",
        "front:offline",
        "front:alarm_phone_manifest",
        "front:alarm_phone_service_worker",
        "front:favicon",
    }
)
# Logging out ends the persona's session; it is walked anonymously only.
LOGOUT_URL_NAMES = frozenset({"logout", "admin:logout"})
# Pages only some roles may open; every other logged-in role gets 403.
ROLE_ONLY_PATHS = {
    "/audit/access-log/": {Role.AUDITOR, Role.PROVIDER_MANAGER},
    "/import/": {Role.PROVIDER_MANAGER, Role.MUNICIPAL_ADMIN},
    "/training/sessions/": {Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN, Role.PROVIDER_MANAGER},
    "/training/sessions/new/": {Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN},
}
ADMIN_ROLES = frozenset({Role.MUNICIPAL_ADMIN})
# What an `<kind>_id`, `<kind>_pk` or a `pk` after `/<kind>s/` names.
KINDS = frozenset(
    {
        "client",
        "team",
        "provider",
        "staff",
        "user",
        "consent",
        "municipality",
        "servicetype",
        "apitoken",
        "notification",
        "phone",
        "alarmunit",
        "alarm",
        "digitalkey",
        "order",
        "step",
        "attachment",
        "ordertype",
        "outage",
        "maintenancewindow",
        "noticerule",
        "service",
        "supportline",
        "escalationstep",
        "callout",
        "district",
        "respondershift",
        "alarmpolicy",
        "session",
        "trainingsession",
        "startplan",
        "booking",
        "visit",
    }
)
# Parameter names that say less than the kind: orders/new/<type_pk>/ names an order type.
KIND_ALIASES = {"type": "ordertype"}
# Kinds the whole municipality shares (its catalogue, outages, support lines): the
# neighbouring provider's "own" object of such a kind is everybody's in the municipality.
MUNICIPAL_KINDS = frozenset(
    {
        "municipality",
        "alarmunit",
        "servicetype",
        "apitoken",
        "ordertype",
        "outage",
        "maintenancewindow",
        "noticerule",
        "service",
        "supportline",
        "escalationstep",
        "callout",
        "district",
        "respondershift",
        "alarmpolicy",
        "session",
        "trainingsession",
    }
)
PERSONAS = [*Role.values, NO_ROLE]
API_PREFIX = "api/v1/"


class Unclassified(Exception):
    """The walker does not know what a route or one of its parameters is."""


@dataclass(frozen=True)
class Route:
    name: str | None
    text: str  # the pattern as written, prefixes joined: "clients/<int:pk>/"
    params: tuple[str, ...]

    @property
    def is_admin(self) -> bool:
        return self.text.startswith("admin/")

    @property
    def is_api(self) -> bool:
        return self.text.startswith(API_PREFIX)

    @property
    def is_public(self) -> bool:
        return self.name in PUBLIC_URL_NAMES

    @property
    def openapi_path(self) -> str:
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", self.text)


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in resolver.url_patterns:
        text = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, text, inner)
        elif isinstance(entry, URLPattern):
            params = tuple(re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", text))
            names = tuple(a or b for a, b in params)  # type: ignore[misc]
            name = f"{namespace}{entry.name}" if entry.name else None
            yield Route(name, text, names)


def all_routes() -> list[Route]:
    return list(_walk(get_resolver()))


def walkable_routes() -> list[Route]:
    """Routes the walker can request; the others fail test_every_url_pattern_is_classified."""
    routes = []
    api_paths: set[str] = set()
    for route in all_routes():
        try:
            classify(route)
        except Unclassified:
            continue
        if route.is_api:
            # One pattern per operation, all on the same view: walk each path once.
            if route.text in api_paths:
                continue
            api_paths.add(route.text)
        routes.append(route)
    return routes


def param_kind(route: Route, param: str) -> str:
    """What object a path parameter names, from its name or the path segment before it."""
    if route.is_admin and param == "app_label":
        return "app_label"
    if route.is_admin and param == "url":
        return "anything"
    if route.is_admin and param == "content_type_id":
        return "content_type"
    if param == "to_status":  # orders/<pk>/status/<to_status>/: a step's confirmation page
        return "order_status"
    if param == "code" and route.name == "tag_link":  # t/<code>: the link on an NFC tag
        return "tag_code"
    if route.is_admin and param == "object_id" and "content_type_id" in route.params:
        return "client"
    match = re.fullmatch(r"(\w+?)_(?:pk|id)", param)
    if match:
        kind = KIND_ALIASES.get(match.group(1), match.group(1))
        if kind in KINDS:
            return kind
    if param in ("pk", "id", "object_id"):
        before = re.split(r"<(?:\w+:)?" + param + ">", route.text)[0].rstrip("/")
        segment = before.rsplit("/", 1)[-1]
        singular = segment[:-1] if segment.endswith("s") and segment[:-1] in KINDS else segment
        if singular in KINDS:
            return singular
    raise Unclassified(f"{route.text}: cannot tell what the parameter {param!r} names")


def classify(route: Route) -> None:
    """Raise Unclassified when the walker cannot request this route meaningfully."""
    if route.name is None and not route.is_admin:
        raise Unclassified(f"{route.text}: give it a name so the walker can place it")
    for param in route.params:
        param_kind(route, param)


def fill(route: Route, corner: Corner) -> str:
    objects = corner.objects()
    values: dict[str, str] = {}
    for param in route.params:
        kind = param_kind(route, param)
        if kind == "app_label":
            values[param] = "core"
        elif kind == "anything":
            values[param] = "no-such-page/"
        elif kind == "content_type":
            values[param] = str(ContentType.objects.get_for_model(Client).pk)
        elif kind == "order_status":
            values[param] = "cancelled"
        elif kind == "tag_code":
            values[param] = "7K3M-Q9XB"
        else:
            values[param] = str(objects[kind].pk)
    text = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], route.text)
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values[m.group(1)], text)
    url = "/" + text.replace("^", "").replace("$", "")
    try:
        resolve(url.split("?")[0])
    except Resolver404 as exc:  # pragma: no cover - a walker bug, not an app bug
        raise Unclassified(f"{route.text}: filled as {url}, which does not resolve") from exc
    return url


@functools.cache
def api_methods() -> dict[str, dict[str, Any]]:
    """OpenAPI path -> {method: operation}."""
    schema = api.get_openapi_schema()
    return {path: dict(operations) for path, operations in schema["paths"].items()}


def methods_for(route: Route) -> list[str]:
    if route.is_api and route.openapi_path in api_methods():
        return [m.upper() for m in api_methods()[route.openapi_path]]
    return ["GET", "POST"]


def is_public_call(route: Route, method: str) -> bool:
    """Whether anyone may make this call. An API path can mix a public GET with a POST
    that needs a login; the operation's security says which."""
    if route.is_api and route.openapi_path in api_methods():
        return "security" not in api_methods()[route.openapi_path][method.lower()]
    return route.is_public


def _example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """The smallest value the schema accepts, so the call reaches the view's own checks
    instead of stopping at the body's validation (which says nothing about access)."""
    if "$ref" in schema:
        return _example(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return _example(schema[key][0], components)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: _example(props[name], components) for name in schema.get("required", [])}
    if kind == "array":
        return []
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    if schema.get("format") == "date-time":
        return "2030-01-15T10:00:00+01:00"
    if schema.get("format") == "date":
        return "2030-01-15"
    return "x"


def api_body(route: Route, method: str) -> str:
    operation = api_methods().get(route.openapi_path, {}).get(method.lower(), {})
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if not content:
        return "{}"
    components = api.get_openapi_schema()["components"]["schemas"]
    return json.dumps(_example(content["schema"], components))


def request(
    http: HttpClient,
    method: str,
    url: str,
    query: dict[str, str] | None = None,
    route: Route | None = None,
) -> Any:
    if method == "GET":
        return http.get(url, query or {})
    if url.startswith("/" + API_PREFIX):
        body = api_body(route, method) if route is not None else "{}"
        return http.generic(method, url, body, content_type="application/json")
    return http.generic(
        method, url, urlencode(query or {}), content_type="application/x-www-form-urlencoded"
    )


def server_error(response: Any) -> bool:
    """A 5xx, except the live streams' refusal through WSGI, which this walk's client is:
    they answer 503 with Retry-After there (alarms.views.stream), and are walked through
    ASGI in trygg/alarms/tests (test_console, test_responders)."""
    if response.status_code == 503 and response.has_header("Retry-After"):
        return False
    return bool(response.status_code >= 500)


def body_text(response: Any) -> str:
    if response.get("Content-Type", "").startswith("text/event-stream"):
        # A live stream never ends, and says nothing until an event comes: what its events
        # may carry is tested with the console (trygg/alarms/tests/test_console.py).
        return ""
    if getattr(response, "streaming", False):
        raw = b"".join(response.streaming_content)
        return raw.decode("utf-8", errors="replace")
    text = response.content.decode("utf-8", errors="replace")
    if response.get("Content-Type", "").startswith("application/json"):
        with contextlib.suppress(ValueError):
            text += json.dumps(json.loads(text), ensure_ascii=False)
    return text


def leaks(response: Any, markers: list[str]) -> list[str]:
    text = body_text(response)
    return [m for m in markers if m in text]


def is_login_redirect(response: Any) -> bool:
    location = response.get("Location", "")
    return response.status_code == 302 and (
        location.startswith("/login/") or location.startswith("/admin/login/")
    )


def logged_in(world: World, persona: str) -> HttpClient:
    http = HttpClient()
    http.force_login(world.personas[persona])
    return http


# Classification ----------------------------------------------------------------------


def test_every_url_pattern_is_classified() -> None:
    problems = []
    for route in all_routes():
        try:
            classify(route)
        except Unclassified as exc:
            problems.append(str(exc))
    assert not problems, "Routes the access walk cannot place:\n" + "\n".join(problems)


def test_the_walk_covers_pages_the_api_and_the_admin() -> None:
    names = {route.name for route in all_routes()}
    assert {"core:client_list", "core:client_detail", "api:get_client"} <= names
    assert "admin:core_provider_change" in names
    assert PUBLIC_URL_NAMES - {"api:api-root"} <= names


def test_public_api_operations_are_declared_public() -> None:
    """An operation without authentication must be a decision written down above."""
    undeclared = []
    for path, operations in api_methods().items():
        for method, operation in operations.items():
            if "security" in operation:
                continue
            names = {name[4:] for name in PUBLIC_URL_NAMES if name.startswith("api:")}
            if not any(operation["operationId"].endswith("_" + n) for n in names):
                undeclared.append(f"{method.upper()} {path} ({operation['operationId']})")
    assert not undeclared, "Public API operations not in PUBLIC_URL_NAMES:\n" + "\n".join(
        undeclared
    )


def test_every_api_operation_has_a_url_pattern_and_back() -> None:
    api_routes = {r.openapi_path for r in all_routes() if r.is_api and not r.is_public}
    assert api_routes == set(api_methods())
    for path, operations in api_methods().items():
        assert operations, f"{path} has no operations"


# Anonymous ---------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_everywhere_but_the_public_routes(world: World) -> None:
    http = HttpClient()
    problems = []
    for route in walkable_routes():
        for corner in (world.own, world.remote) if route.params else (world.own,):
            url = fill(route, corner)
            for method in methods_for(route):
                response = request(http, method, url, route=route)
                label = f"{method} {url}"
                if server_error(response):
                    problems.append(f"{label}: {response.status_code}")
                if found := leaks(response, world.forbidden_markers(NO_ROLE)):
                    problems.append(f"{label}: shows {found}")
                if is_public_call(route, method):
                    continue
                if route.is_api and response.status_code != 401:
                    problems.append(f"{label}: {response.status_code}, expected 401")
                if not route.is_api and not is_login_redirect(response):
                    problems.append(f"{label}: {response.status_code}, expected login redirect")
    assert not problems, "\n".join(problems)


# Every persona -----------------------------------------------------------------------


def _walk_as(world: World, persona: str) -> list[str]:
    http = logged_in(world, persona)
    markers = world.forbidden_markers(persona)
    level = world.level(persona)
    problems: list[str] = []
    own_corners = [] if level == "none" else [world.own]
    for route in walkable_routes():
        if route.name in LOGOUT_URL_NAMES:
            continue
        fills: list[tuple[str, Corner]] = [("own", world.own)]
        if route.params:
            fills = [("own", c) for c in own_corners]
            fills += [
                ("other", c)
                for c in world.forbidden_corners(persona)
                if not (c is world.neighbour and _only_municipal(route))
            ]
        for which, corner in fills:
            url = fill(route, corner)
            statuses: dict[str, Any] = {}
            for method in methods_for(route):
                if method != "GET" and route.is_admin and which == "own" and route.params:
                    continue  # posting to one's own objects in the admin would change them
                response = request(http, method, url, route=route)
                statuses[method] = response
                label = f"{persona}: {method} {url}"
                if server_error(response):
                    problems.append(f"{label}: {response.status_code}")
                if found := leaks(response, markers):
                    problems.append(f"{label}: shows {found}")
                admin_refused = (
                    route.is_admin and not route.is_public and persona not in ADMIN_ROLES
                )
                if admin_refused and not is_login_redirect(response):
                    problems.append(f"{label}: {response.status_code}, admin is not theirs")
                roles = ROLE_ONLY_PATHS.get(url)
                if roles is not None and method == "GET":
                    expected = 200 if persona in roles else 403
                    if response.status_code != expected:
                        problems.append(f"{label}: {response.status_code}, expected {expected}")
            if which == "other" and statuses:
                problems += _refused(persona, route, url, statuses)
    return problems


def _only_municipal(route: Route) -> bool:
    return all(param_kind(route, p) in MUNICIPAL_KINDS for p in route.params)


def _refused(persona: str, route: Route, url: str, responses: dict[str, Any]) -> list[str]:
    """A route naming an object outside the persona's reach must refuse it."""
    label = f"{persona}: {url} (another provider's or municipality's object)"
    codes = {m: r.status_code for m, r in responses.items()}
    if route.is_admin:
        for response in responses.values():
            if response.status_code == 302 and response["Location"].split("?")[0] == url:
                return [f"{label}: redirects to itself"]
        if all(code in (302, 403, 404, 405) for code in codes.values()):
            return []
        return [f"{label}: answered {codes}"]
    responses = {m: r for m, r in responses.items() if not is_public_call(route, m)}
    codes = {m: r.status_code for m, r in responses.items()}
    if not responses:
        return []
    problems = []
    for method, response in responses.items():
        # Sending the person back to a list is a refusal too, as long as it is not a page
        # about the very object.
        if response.status_code == 302 and not _names_same_object(response["Location"], url):
            codes[method] = 404
    if any(code in (403, 404) for code in codes.values()) and all(
        code in (403, 404, 405) for code in codes.values()
    ):
        return problems
    return [f"{label}: answered {codes}, expected 403 or 404"]


def _names_same_object(location: str, url: str) -> bool:
    ids = set(re.findall(r"/(\d+)/", url))
    return bool(ids & set(re.findall(r"/(\d+)/", location.split("?")[0])))


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_hides_other_providers_and_municipalities(world: World, persona: str) -> None:
    problems = _walk_as(world, persona)
    assert not problems, "\n".join(problems)


def searches_clients(route: Route) -> bool:
    """An API list that takes a search text or a client: it must find nothing out of reach.
    (A list without such a filter, like the call-outs, just lists the persona's own.)"""
    if not route.is_api:
        return False
    operation = api_methods().get(route.openapi_path, {}).get("get", {})
    names = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
    return bool(names & {"q", "client", "client_id", "search"})


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_hides_other_providers_clients_from_search(world: World, persona: str) -> None:
    http = logged_in(world, persona)
    markers = world.forbidden_markers(persona)
    problems = []
    searches = []
    for corner in world.forbidden_corners(persona):
        nid = corner.client.national_id
        searches += [corner.client.last_name[:7], f"{nid[2:8]}-{nid[8:]}", nid[2:]]
    searchable = [r for r in walkable_routes() if not r.params and not r.is_public]
    for route in searchable:
        if route.is_admin and persona not in ADMIN_ROLES:
            continue
        if route.is_api and "GET" not in methods_for(route):
            continue
        url = fill(route, world.own)
        for text in searches:
            query = {"q": text} if route.is_admin else {"q": text, "client": text}
            response = http.get(url, query)
            label = f"{persona}: GET {url}?q={text}"
            if server_error(response):
                problems.append(f"{label}: {response.status_code}")
            if found := leaks(response, markers):
                problems.append(f"{label}: shows {found}")
            if response.status_code == 200 and searches_clients(route):
                payload = response.json()
                if isinstance(payload, dict) and payload.get("count"):
                    problems.append(f"{label}: found {payload['count']}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != NO_ROLE])
def test_api_filters_naming_another_providers_team_find_nothing(world: World, persona: str) -> None:
    http = logged_in(world, persona)
    for corner in world.forbidden_corners(persona):
        response = http.get("/api/v1/clients", {"team_id": corner.team.pk})
        assert response.status_code == 200
        assert response.json()["count"] == 0
        assert not leaks(response, world.forbidden_markers(persona))
