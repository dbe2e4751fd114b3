"""The catalogue a municipality starts with; it edits it afterwards in the admin.

The texts are Swedish: they are the municipality's own content, not Trygg's interface.
The safety camera's order follows Linköping's routine; `trygg.supervision` checks its
preconditions and serves its report-back (`hooks`). The log extract (`log_extract`) is made
by Trygg itself: its date is checked and its files made by `trygg.alarms.extracts`, through `hooks`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from trygg.core.models import Municipality

from .constants import Audience
from .fields import parse_spec, parse_steps
from .models import OrderType


@dataclass(frozen=True)
class DefaultType:
    code: str
    name: str
    description: str
    days: int
    fields: list[dict[str, Any]]
    steps: list[str]
    audience: str = Audience.EVERYONE


def _f(name: str, label: str, kind: str, required: bool = False, **extra: Any) -> dict[str, Any]:
    return {"name": name, "label": label, "kind": kind, "required": required, **extra}


SIGN_LANGUAGES = ["Svenska", "Engelska", "Persiska", "Arabiska", "Somaliska"]

DEFAULT_TYPES: tuple[DefaultType, ...] = (
    DefaultType(
        "log_extract",
        "Loggutdrag trygghetslarm",
        "Aktiva larmkunder på ett datum, för fakturering. Akutlarm visas men dras av.",
        2,
        [
            _f(
                "extract_date",
                "Datum för utdraget",
                "date",
                help="En helgfri vardag, i dag eller tidigare. Lämna tomt för dagens datum.",
            ),
            _f("note", "Övrigt", "textarea"),
        ],
        ["Ta ut loggutdrag", "Kontrollera akutlarm", "Bifoga fil", "Meddela beställaren"],
        # A provider orders its own customers' extract; the municipality orders one of all.
        Audience.EVERYONE,
    ),
    DefaultType(
        "safety_camera",
        "Trygghetskamera för nattillsyn",
        "Skickas när nattillsynen är fördelad (beviljad), informationsbrevet lämnat på "
        "svenska och nyckelkvittensen registrerad. Brukarens namn, personnummer, adress, "
        "telefon och portkod hämtas från brukarens uppgifter.",
        10,
        [
            _f("client", "Brukare", "client", True),
            _f(
                "supervision_times",
                "Önskade tillsynstider",
                "text",
                True,
                help="Klockslag under natten, t.ex. 22:00, 01:00, 04:00",
            ),
            _f("start_date", "Startdatum för tillsynen", "date", True),
            _f("keys", "Nycklar och tagg till ytterport", "text", True),
            _f(
                "booking_contact",
                "Kontakt för bokning av installation",
                "text",
                True,
                help="Brukare, närstående eller verksamheten: namn och telefon",
            ),
            # Checked by trygg.supervision, which says why the letter comes first.
            _f("letter_swedish", "Informationsbrev på svenska lämnat", "boolean"),
            _f(
                "letter_languages",
                "Informationsbrev även lämnat på",
                "choice",
                choices=SIGN_LANGUAGES[1:],
                multiple=True,
            ),
            _f(
                "sign_languages",
                "Skyltar på språk utöver svenska",
                "choice",
                choices=SIGN_LANGUAGES[1:],
                multiple=True,
            ),
        ],
        [
            "Boka installation med kontaktpersonen",
            "Registrera kameran i inventariet",
            "Installera kameran",
            "Lämna informationsbrev",
            "Sätt upp skyltar",
            "Funktionstesta",
            "Uppdatera inventarielistan",
            "Återkoppla med kamerans serienummer",
        ],
        Audience.PROVIDERS,
    ),
    DefaultType(
        "new_signs",
        "Nya skyltar",
        "Skyltar om kameratillsyn; svenska alltid, andra språk på begäran.",
        5,
        [
            _f("client", "Brukare", "client", True),
            _f("languages", "Språk", "choice", True, choices=SIGN_LANGUAGES, multiple=True),
            _f("count", "Antal skyltar", "number", True),
        ],
        ["Skriv ut skyltar", "Sätt upp skyltar"],
    ),
    DefaultType(
        "user_account",
        "Användarkonto: nytt, ändrat eller avslutat",
        "Konton till besöksappen och de digitala låsen.",
        3,
        [
            _f("person", "Person (namn)", "text", True),
            _f("email", "E-post", "text"),
            _f("change", "Ändring", "choice", True, choices=["Nytt", "Ändrat", "Avslutat"]),
            _f(
                "roles",
                "Roller",
                "choice",
                choices=["Omsorgspersonal", "Teamledare", "Nattpersonal", "Chef"],
                multiple=True,
            ),
            _f("start_date", "Gäller från", "date", True),
            _f("note", "Övrigt", "textarea"),
        ],
        ["Skapa eller ändra konto", "Tilldela roller och nycklar", "Meddela beställaren"],
    ),
    DefaultType(
        "nfc_tags",
        "NFC-taggar",
        "Taggar innanför brukarens dörr, för registrering av besök.",
        5,
        [
            _f("client", "Brukare", "client", True),
            _f("count", "Antal taggar", "number", True),
            _f("note", "Övrigt", "textarea"),
        ],
        ["Registrera taggar", "Leverera taggar"],
    ),
    DefaultType(
        "phone_configuration",
        "Konfiguration av telefon",
        "Inom 3 arbetsdagar från inlämning.",
        3,
        [
            _f("staff_member", "Medarbetare", "text", True),
            _f("phone_model", "Telefonmodell", "text", True),
            _f("imei", "IMEI", "text", True, help="15 siffror, står under batteriet eller *#06#"),
            _f("handed_in_on", "Inlämnad", "date", True),
        ],
        ["Ta emot telefonen", "Installera appar", "Koppla till medarbetare", "Lämna ut"],
    ),
    DefaultType(
        "camera_fault",
        "Fel på trygghetskamera",
        "Nattpersonalen har rapporterat kameran trasig: tillsynen sker med besök tills den är "
        "lagad. Leverantörens support och avgift för utryckning utanför kontorstid visas "
        "på ärendet.",
        1,
        [
            _f("client", "Brukare", "client", True),
            _f("camera", "Kamera (serienummer)", "text", True),
            _f("fault", "Felbeskrivning", "textarea", True),
        ],
        ["Felsök kameran", "Kontakta leverantören vid behov", "Laga eller byt kamera"],
    ),
    DefaultType(
        "lock_fault",
        "Fel på digitalt lås",
        "Kvällar och helger: använd reservnyckeln först och ring låsjouren.",
        1,
        [
            _f("client", "Brukare", "client", True),
            _f("lock", "Lås (serienummer)", "text"),
            _f("fault", "Felbeskrivning", "textarea", True),
            _f("backup_key_used", "Reservnyckel använd", "boolean"),
        ],
        ["Felsök låset", "Åtgärda eller byt lås", "Funktionstesta"],
    ),
    DefaultType(
        "lock_installation",
        "Installation av digitalt lås",
        "Låsenheten monteras på insidan av brukarens dörr utan åverkan; brukare och "
        "anhöriga använder sina vanliga nycklar som förut. Nyckelkvittens för "
        "reservnyckeln lämnas till larmorganisationen.",
        10,
        [
            _f("client", "Brukare", "client", True),
            _f("wanted_on", "Önskat datum", "date"),
            _f("booking_contact", "Kontakt för bokning av installation", "text", True),
            _f("door", "Dörr och port", "textarea", help="T.ex. portkod, våning, dörrtyp."),
        ],
        [
            "Boka installation",
            "Montera låset",
            "Registrera låset på dörren",
            "Funktionstesta",
            "Lämna reservnyckel till larmorganisationen",
        ],
    ),
)

# Sanity check at import: the defaults must pass the same validation the admin applies.
for _type in DEFAULT_TYPES:
    parse_spec(_type.fields)
    parse_steps(_type.steps)


def ensure_default_catalogue(municipality: Municipality) -> list[OrderType]:
    """Create the default order types the municipality does not have yet; types it has
    (by code) are left as they are, edits included."""
    with transaction.atomic():
        existing = set(
            OrderType.objects.filter(municipality=municipality).values_list("code", flat=True)
        )
        OrderType.objects.bulk_create(
            OrderType(
                municipality=municipality,
                code=t.code,
                name=t.name,
                description=t.description,
                deadline_working_days=t.days,
                fields=t.fields,
                steps=t.steps,
                audience=t.audience,
                position=position,
            )
            for position, t in enumerate(DEFAULT_TYPES, start=1)
            if t.code not in existing
        )
        return list(OrderType.objects.filter(municipality=municipality))
