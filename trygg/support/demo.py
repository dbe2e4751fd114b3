"""Demo content: the service catalogue, support lines, escalation steps and call-outs.

Numbers are from the ranges the Swedish regulator (PTS) reserves for fiction
(08-465 004 00..99, 070-174 06 05..99); vendors are made up. The call-out fees are in
SEK near today's equivalent of the NOK 10,000 out-of-hours fee in the routines.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from trygg.core.constants import Role
from trygg.core.models import Municipality, Team, User

from .constants import (
    COUNTRY_CURRENCY,
    Currency,
    DayType,
    LineAudience,
    LineKind,
    StepApplies,
    StepKind,
    System,
)
from .models import CallOut, EscalationStep, OpeningRule, Service, SupportLine

_T = dt.time
OFFICE_HOURS: tuple[tuple[str, str, dt.time, dt.time, bool], ...] = (
    # (day type, weekdays, start, end, closed)
    (DayType.REGULAR, "1234", _T(7), _T(16), False),
    (DayType.REGULAR, "5", _T(7), _T(15), False),
    (DayType.REGULAR, "12345", _T(12), _T(13), True),
    (DayType.BEFORE_HOLIDAY, "", _T(7), _T(13), False),
)
# Örebro's IT and telephony: weekdays 07-17, Fridays to 16, lunch 12-13.
IT_HOURS: tuple[tuple[str, str, dt.time, dt.time, bool], ...] = (
    (DayType.REGULAR, "1234", _T(7), _T(17), False),
    (DayType.REGULAR, "5", _T(7), _T(16), False),
    (DayType.REGULAR, "12345", _T(12), _T(13), True),
    (DayType.BEFORE_HOLIDAY, "", _T(7), _T(13), False),
)
LOCK_FAULT_HOURS: tuple[tuple[str, str, dt.time, dt.time, bool], ...] = (
    (DayType.REGULAR, "12345", _T(17), _T(22), False),
    (DayType.REGULAR, "67", _T(7), _T(22), False),
    (DayType.HOLIDAY, "", _T(7), _T(22), False),
)


def _first_user(municipality: Municipality, role: Role) -> User | None:
    return (
        User.objects.filter(
            role_assignments__municipality=municipality, role_assignments__role=role
        )
        .order_by("pk")
        .first()
    )


def _line(
    municipality: Municipality,
    name: str,
    phone: str,
    kind: LineKind,
    systems: list[System],
    *,
    hours: tuple[tuple[str, str, dt.time, dt.time, bool], ...] = (),
    always_open: bool = False,
    district: Team | None = None,
    priority: int = 10,
    note: str = "",
    email: str = "",
    audience: LineAudience = LineAudience.EVERYONE,
    others_instead: str = "",
    no_account_help: bool = False,
) -> SupportLine:
    line = SupportLine.objects.create(
        audience=audience,
        others_instead=others_instead,
        no_account_help=no_account_help,
        municipality=municipality,
        name=name,
        phone=phone,
        email=email,
        kind=kind,
        systems=",".join(systems),
        always_open=always_open,
        district=district,
        priority=priority,
        note=note,
    )
    OpeningRule.objects.bulk_create(
        OpeningRule(line=line, day_type=d, weekdays=w, start=s, end=e, closed=c)
        for d, w, s, e, c in hours
    )
    return line


def seed_demo(municipality: Municipality, today: dt.date | None = None) -> dict[str, int]:
    """Create the demo catalogue, lines and call-outs once; a second call adds nothing."""
    if Service.objects.filter(municipality=municipality).exists():
        return {}
    today = today or municipality.today()
    with transaction.atomic():
        return _create(municipality, today)


def _create(municipality: Municipality, today: dt.date) -> dict[str, int]:
    currency = COUNTRY_CURRENCY.get(municipality.country, Currency.SEK)
    admin = _first_user(municipality, Role.MUNICIPAL_ADMIN)
    welfare_tech = _first_user(municipality, Role.WELFARE_TECH)
    night = _first_user(municipality, Role.NIGHT_SUPERVISOR)
    owner_text = "" if admin else "Förvaltningschef, äldreomsorgen"

    services = {
        System.CAMERAS: Service(
            system=System.CAMERAS,
            name="Digital tillsyn (kamera och sensor)",
            description=(
                "Tillsyn med infraröd kamera eller sensor i ordinärt boende, gruppboende "
                "och särskilt boende. Larm går till appen i telefonen hos sjuksköterskan "
                "i tjänst."
            ),
            vendor="Nattöga AB",
            service_level=(
                "Leverantörens service dygnet runt. Felanmälan besvaras inom 1 timme; "
                "akut fel åtgärdas inom 4 timmar."
            ),
            operations_contact="Nattöga AB driftcenter, 08-465 004 14",
            call_out_fee=Decimal("9800.00"),
        ),
        System.ALARMS: Service(
            system=System.ALARMS,
            name="Digitala trygghetslarm",
            description="Trygghetslarm i hemmet, mottagna i larmcentralen dygnet runt.",
            vendor="Larmtjänst Norden AB",
            service_level=(
                "Larmcentralen svarar dygnet runt. Larmenhet som tappat kontakt felsöks "
                "inom 24 timmar; utbyte nästa arbetsdag."
            ),
            operations_contact="Larmtjänst Norden AB, teknisk support",
            call_out_fee=Decimal("3500.00"),
        ),
        System.LOCKS: Service(
            system=System.LOCKS,
            name="Nyckelfria lås",
            description=(
                "Digitala nycklar i telefonens app, låsenhet på insidan av dörren. "
                "Vanliga nycklar fungerar fortfarande."
            ),
            vendor="Låsgruppen Digital AB",
            service_level=(
                "Support vardagar enligt öppettider. Låsfel kvällar 17-22 och helger 07-22: "
                "först reservnyckeln, sedan låsfellinjen. Nya användare inom 3 arbetsdagar."
            ),
            operations_contact="Låsgruppen Digital AB, låsfellinjen",
            call_out_fee=Decimal("4500.00"),
        ),
        System.VISIT_APP: Service(
            system=System.VISIT_APP,
            name="Besöksregistrering (besöksappen)",
            description=(
                "Registrering av besök och utförda insatser med telefonens NFC; fungerar "
                "utan nät och synkar när nätet kommer tillbaka."
            ),
            vendor="",
            service_level=(
                "Support vardagar enligt öppettider. Planerade uppgraderingar tis-ons "
                "09-14, aviserade minst en vecka i förväg. Telefoner konfigureras inom "
                "3 arbetsdagar."
            ),
            operations_contact="Kommunens IT-drift",
            call_out_fee=None,
        ),
        System.PHONES: Service(
            system=System.PHONES,
            name="IT och telefoni",
            description=(
                "Datorer, tjänstetelefoner och inloggning för kommunens anställda. Privata "
                "utförare har sin egen IT-support."
            ),
            vendor="",
            service_level=(
                "Support vardagar 07-17, fredagar till 16, lunchstängt 12-13; dag före "
                "helgdag 07-13. Endast för kommunens anställda."
            ),
            operations_contact="Kommunens IT-drift",
            call_out_fee=None,
        ),
    }
    for service in services.values():
        service.municipality = municipality
        service.currency = currency
        service.owner = admin
        service.owner_contact = owner_text
        service.manager = welfare_tech
        service.save()

    support = _line(
        municipality,
        "Support besöksapp och lås",
        "08-465 004 10",
        LineKind.PRIMARY,
        [System.VISIT_APP, System.LOCKS],
        hours=OFFICE_HOURS,
        email="support@trygghetsbo.example",
        note="Knappval 1 besöksappen, 2 lås.",
    )
    _line(
        municipality,
        "Välfärdsteknikteamet",
        "08-465 004 11",
        LineKind.PRIMARY,
        [System.CAMERAS, System.SENSORS],
        hours=OFFICE_HOURS,
        email="valfardsteknik@trygghetsbo.example",
    )
    _line(
        municipality,
        "IT- och telefonisupport",
        "08-465 004 15",
        LineKind.PRIMARY,
        [System.PHONES],
        hours=IT_HOURS,
        email="it-support@trygghetsbo.example",
        audience=LineAudience.MUNICIPAL,
        others_instead="Privata utförare: vänd er till ert eget företags IT-support.",
    )
    _line(
        municipality,
        "Larmcentralen",
        "08-465 004 12",
        LineKind.PRIMARY,
        [System.ALARMS],
        always_open=True,
    )
    lock_fault = _line(
        municipality,
        "Låsfellinjen",
        "08-465 004 13",
        LineKind.VENDOR,
        [System.LOCKS],
        hours=LOCK_FAULT_HOURS,
    )
    _line(
        municipality,
        "Nattöga service",
        "08-465 004 14",
        LineKind.VENDOR,
        [System.CAMERAS, System.SENSORS],
        always_open=True,
        note="Utryckning utanför kontorstid debiteras; beställs av sjuksköterska i tjänst.",
    )
    _line(
        municipality,
        "Nattpatrullen (hela kommunen)",
        "070-174 06 20",
        LineKind.OUT_OF_HOURS,
        [System.VISIT_APP, System.LOCKS],
        always_open=True,
        priority=20,
    )
    teams = Team.objects.filter(provider__municipality=municipality, is_active=True).order_by(
        "provider__name", "name"
    )
    for n, team in enumerate(teams[:40]):
        _line(
            municipality,
            f"Larmorganisation {team.name}",
            f"070-174 06 {30 + n:02d}",
            LineKind.OUT_OF_HOURS,
            [System.VISIT_APP, System.LOCKS],
            always_open=True,
            district=team,
        )
    _line(
        municipality,
        "Beredskap välfärdsteknik",
        "070-174 06 21",
        LineKind.ON_CALL,
        list(System),
        always_open=True,
        note="Tjänsteperson i beredskap: ring först efter checklistan.",
        # Örebro: the on-call "does not apply to external providers" and its agreement
        # leaves out unlocking accounts and changing passwords.
        audience=LineAudience.MUNICIPAL,
        others_instead=(
            "Privata utförare: ring er egen chef i beredskap; kommunens support tar "
            "ärendet när den öppnar."
        ),
        no_account_help=True,
    )

    steps = [
        (System.LOCKS, 1, StepKind.CHECK, "Använd reservnyckeln.", None, StepApplies.OUT_OF_HOURS),
        (System.LOCKS, 2, StepKind.CALL, "Ring låsfellinjen", lock_fault, StepApplies.OUT_OF_HOURS),
        (
            System.LOCKS,
            3,
            StepKind.CHECK,
            "Före beredskap: telefonen laddad, Bluetooth på, appen uppdaterad, låset provat "
            "två gånger.",
            None,
            StepApplies.ALWAYS,
        ),
        (
            System.VISIT_APP,
            1,
            StepKind.CHECK,
            "Starta om appen och telefonen; registreringar sparas och synkas senare.",
            None,
            StepApplies.ALWAYS,
        ),
        (
            System.VISIT_APP,
            2,
            StepKind.CALL,
            "Ring supporten",
            support,
            StepApplies.OPENING_HOURS,
        ),
        (
            System.CAMERAS,
            1,
            StepKind.CHECK,
            "Kontrollera att kameran har ström och nätverk (grön lampa).",
            None,
            StepApplies.ALWAYS,
        ),
    ]
    EscalationStep.objects.bulk_create(
        EscalationStep(
            municipality=municipality,
            system=system,
            order=order,
            kind=kind,
            text=text,
            line=line,
            applies=applies,
        )
        for system, order, kind, text, line, applies in steps
    )

    tz = municipality.zone
    recorder = welfare_tech or admin
    call_outs = 0
    if recorder is not None:
        for days_ago, hour, system, reason, cost in (
            (41, 23, System.CAMERAS, "Kamera utan nätverk, natt med planerad tillsyn", "9800"),
            (19, 20, System.LOCKS, "Låsenhet svarar inte, reservnyckel saknades", "4500"),
            (6, 2, System.CAMERAS, "Sensor larmade falskt upprepade gånger", "9800"),
        ):
            service = services[system]
            CallOut.objects.create(
                service=service,
                at=dt.datetime.combine(today - dt.timedelta(days=days_ago), _T(hour), tzinfo=tz),
                vendor=service.vendor,
                reason=reason,
                cost=Decimal(cost),
                currency=currency,
                ordered_by=night,
                approved_by=welfare_tech,
                recorded_by=recorder,
            )
            call_outs += 1
    return {
        "services": len(services),
        "support lines": SupportLine.objects.filter(municipality=municipality).count(),
        "escalation steps": len(steps),
        "call-outs": call_outs,
    }
