"""The back-office import page: who may open it, what they may choose, what it shows."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient

from trygg.core.constants import Role
from trygg.core.models import Client, GrantedService, User
from trygg.core.tests.factories import TEST_PASSWORD, ProviderFactory, make_staff
from trygg.integration.constants import CSV_COLUMNS, ImportSource, ImportStatus
from trygg.integration.models import ImportRun

from .helpers import (
    SECRET_DOOR_CODE,
    Setting,
    client_fields,
    make_setting,
    row,
    standard_rows,
    to_csv,
)

pytestmark = pytest.mark.django_db

URL = "/import/"


def login(user: User) -> HttpClient:
    http = HttpClient()
    assert http.login(username=user.username, password=TEST_PASSWORD)
    return http


@pytest.fixture
def setting() -> Setting:
    return make_setting()


def upload(http: HttpClient, setting: Setting, data: bytes, **extra: str) -> Any:
    return http.post(
        URL,
        {
            "provider": setting.provider.pk,
            "file": SimpleUploadedFile("brukare.csv", data, content_type="text/csv"),
            **extra,
        },
    )


@pytest.mark.parametrize("role", [Role.CARE_WORKER, Role.TEAM_LEADER, Role.NIGHT_SUPERVISOR])
def test_provider_staff_other_than_managers_are_forbidden(setting: Setting, role: Role) -> None:
    http = login(make_staff(role, provider=setting.provider))
    assert http.get(URL).status_code == 403
    assert upload(http, setting, to_csv(standard_rows(1))).status_code == 403
    assert Client.objects.count() == 0


@pytest.mark.parametrize("role", [Role.ALARM_OPERATOR, Role.WELFARE_TECH, Role.AUDITOR])
def test_municipal_staff_other_than_administrators_are_forbidden(
    setting: Setting, role: Role
) -> None:
    http = login(make_staff(role, municipality=setting.provider.municipality))
    assert http.get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in() -> None:
    response = HttpClient().get(URL)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_a_provider_manager_chooses_only_their_provider(setting: Setting) -> None:
    other = ProviderFactory(municipality=setting.provider.municipality, name="Annan Omsorg AB")
    manager = make_staff(Role.PROVIDER_MANAGER, provider=setting.provider)
    http = login(manager)

    page = http.get(URL)

    assert page.status_code == 200
    choices = list(page.context["form"].fields["provider"].queryset)
    assert choices == [setting.provider]
    assert 'href="/import/"' in page.text  # the menu item
    response = upload(http, make_setting(other), to_csv(standard_rows(1)))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Client.objects.count() == 0


def test_a_municipal_administrator_chooses_any_provider_of_the_municipality(
    setting: Setting,
) -> None:
    second = ProviderFactory(municipality=setting.provider.municipality)
    ProviderFactory()  # another municipality's
    admin = make_staff(Role.MUNICIPAL_ADMIN, municipality=setting.provider.municipality)

    page = login(admin).get(URL)

    choices = set(page.context["form"].fields["provider"].queryset)
    assert choices == {setting.provider, second}


def test_the_menu_shows_import_only_to_those_who_may(setting: Setting) -> None:
    worker = make_staff(Role.CARE_WORKER, provider=setting.provider)
    assert 'href="/import/"' not in login(worker).get("/").text


def test_an_upload_imports_and_shows_a_summary(setting: Setting) -> None:
    manager = make_staff(Role.PROVIDER_MANAGER, provider=setting.provider)
    http = login(manager)

    response = upload(http, setting, to_csv(standard_rows(3), bom=True), end_missing="on")

    assert response.status_code == 200
    assert response.context["result"].ok
    assert (Client.objects.count(), GrantedService.objects.count()) == (4, 6)
    run = ImportRun.objects.get()
    assert (run.source, run.user, run.file_name, run.end_missing) == (
        ImportSource.UPLOAD,
        manager,
        "brukare.csv",
        True,
    )
    page = http.get(URL).text
    assert "brukare.csv" in page
    assert SECRET_DOOR_CODE not in response.content.decode()


def test_a_rejected_upload_lists_every_error_and_writes_nothing(setting: Setting) -> None:
    http = login(make_staff(Role.PROVIDER_MANAGER, provider=setting.provider))
    http.cookies["trygg_language"] = "en"  # the messages are asserted in English
    rows = standard_rows(2)
    rows[0]["team"] = rows[1]["team"] = "NOPE"
    rows[-1] = row(client_fields(3, start_date="2024-13-01", door_code=SECRET_DOOR_CODE * 9))

    response = upload(http, setting, to_csv(rows))

    assert response.status_code == 200
    text = response.content.decode()
    assert "nothing was imported" in text
    result = response.context["result"]
    assert [(e.row, e.field) for e in result.errors] == [
        (2, "team"),
        (6, "door_code"),
        (6, "start_date"),
    ]
    assert "<code>team</code>" in text
    assert SECRET_DOOR_CODE not in text
    assert Client.objects.count() == 0
    assert ImportRun.objects.get().status == ImportStatus.REJECTED


def test_recent_runs_show_only_importable_providers(setting: Setting) -> None:
    other = make_setting(
        ProviderFactory(municipality=setting.provider.municipality, name="Hemligt AB")
    )
    other_manager = make_staff(Role.PROVIDER_MANAGER, provider=other.provider)
    upload(login(other_manager), other, to_csv(standard_rows(1)))

    page = login(make_staff(Role.PROVIDER_MANAGER, provider=setting.provider)).get(URL)

    assert list(page.context["runs"]) == []
    assert "Hemligt AB" not in page.text


def _main(text: str) -> str:
    return text.split("<main", 1)[1].split("</main>", 1)[0]


def test_a_wrong_header_shows_what_the_file_must_contain_once_then_what_was_wrong(
    setting: Setting,
) -> None:
    # The case system's export with Swedish column names and 28 rows: once 28 problems,
    # each repeating the 19 English column names.
    http = login(make_staff(Role.PROVIDER_MANAGER, provider=setting.provider))
    swedish = tuple(
        {"national_id": "personnummer", "first_name": "förnamn", "last_name": "efternamn"}.get(
            name, name
        )
        for name in CSV_COLUMNS
    )

    response = upload(http, setting, to_csv(standard_rows(28), columns=swedish))

    main = _main(response.content.decode())
    assert "Filen avvisades: ingenting importerades" in main
    # One summary of the columns, in Swedish, with what each means.
    assert main.count("Vad filen ska innehålla") == 1
    assert main.count('id="column-national_id"') == 1
    assert "Personnummer eller samordningsnummer" in main
    # Then what was wrong: two lines, in Swedish, each column named once.
    problems = main.split("Vad som var fel", 1)[1].split("</table>", 1)[0]
    assert problems.count("<tr>") == 1 + 2  # the heading row and two problems
    assert "Okända kolumner: “personnummer”, “förnamn”, “efternamn”." in problems
    assert "Kolumner saknas: national_id, first_name, last_name." in problems
    assert problems.count("service_type") == 0
    for english in ("Unknown column", "Missing column", "The columns are", "file</code>"):
        assert english not in main
    assert Client.objects.count() == 0


def test_a_rejected_row_says_why_in_swedish_by_the_column_s_name(setting: Setting) -> None:
    http = login(make_staff(Role.PROVIDER_MANAGER, provider=setting.provider))
    rows = standard_rows(2)
    rows[-1] = row(client_fields(3, start_date="2024-13-01"))

    response = upload(http, setting, to_csv(rows))

    main = _main(response.content.decode())
    assert "Rätta det här problemet i filen från verksamhetssystemet" in main
    assert "Startdatum <code>start_date</code>" in main
    assert "Inte ett datum: skriv det som ÅÅÅÅ-MM-DD." in main
    # The columns are offered, folded away: the header was right.
    assert '<details class="card" id="column-guide">' in main
