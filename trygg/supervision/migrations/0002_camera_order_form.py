"""The safety-camera order's form as the routine has it, for what was made before it.

A municipality made before this app keeps the catalogue's old `safety_camera` type (the
catalogue never overwrites a type it has): one box "Informationsbrev lämnat och
nyckelkvittens signerad" and no box for the letter in Swedish, which the order now
requires, so no camera could be ordered there at all. Its open orders carry the old box
and the old checklist, whose last step ("Meddela kamerans serienummer") was ticked with the
serial number written in a comment.

Forward:
- Each `safety_camera` type without the letter's box gets the new form's letter fields in
  place of the old box, and its checklist's old titles become the routine's (the combined
  "Installera och sätt upp skyltar" becomes its two steps, and the letter step the old list
  lacked is added after them). Fields and steps a municipality added or renamed itself are
  kept where they are; an old default description becomes the new one.
- Each open order of such a type with the old box gets the same: the letter in Swedish
  counts as given where the old box was ticked (it said the letter was given), its form
  snapshot is the type's new one, and its checklist is renamed the same way, each step
  keeping who ticked it and when. Steps the old list lacked are added unticked. An old
  serial-number step not yet ticked becomes the report-back step, which takes the camera
  from the inventory as the routine now asks; one already ticked stays ticked.
- Closed orders are history and stay as they were: their pages show them as they are.

Backward: nothing. The new shape is plain fields and steps that the code before this app
shows and works like any other order's.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

CODE = "safety_camera"
OLD_BOX = "preconditions"
LANGUAGES = ["Engelska", "Persiska", "Arabiska", "Somaliska"]
LETTER_FIELDS = [
    {
        "name": "letter_swedish",
        "label": "Informationsbrev på svenska lämnat",
        "kind": "boolean",
        "required": False,
    },
    {
        "name": "letter_languages",
        "label": "Informationsbrev även lämnat på",
        "kind": "choice",
        "required": False,
        "choices": LANGUAGES,
        "multiple": True,
    },
]
# The old checklist's titles and what each becomes (case and spaces aside).
RENAMED: dict[str, list[str]] = {
    "boka installation": ["Boka installation med kontaktpersonen"],
    "registrera kamera på brukaren": ["Registrera kameran i inventariet"],
    "installera och sätt upp skyltar": [
        "Installera kameran",
        "Lämna informationsbrev",
        "Sätt upp skyltar",
    ],
    "meddela kamerans serienummer": ["Återkoppla med kamerans serienummer"],
}
# Of those, the steps the old list did not have: added unticked to an open order.
NEW_STEPS = {"lämna informationsbrev"}
OLD_DESCRIPTION = (
    "Förutsättningar: beviljad nattillsyn i verksamhetssystemet, informationsbrev "
    "lämnat, nyckelkvittens signerad."
)
NEW_DESCRIPTION = (
    "Skickas när nattillsynen är fördelad (beviljad), informationsbrevet lämnat på "
    "svenska och nyckelkvittensen registrerad. Brukarens namn, personnummer, adress, "
    "telefon och portkod hämtas från brukarens uppgifter."
)
CLOSED = ("done", "cancelled")


def _key(title: str) -> str:
    return " ".join(title.split()).casefold()


def new_fields(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The letter's fields in place of the old box: before the signs, as the catalogue has
    them (where the box was when the signs are gone)."""
    names = [f.get("name") for f in fields]
    kept = [f for f in fields if f.get("name") != OLD_BOX]
    kept_names = [f.get("name") for f in kept]
    if "sign_languages" in kept_names:
        at = kept_names.index("sign_languages")
    elif OLD_BOX in names:
        at = names.index(OLD_BOX)
    else:
        at = len(kept)
    return kept[:at] + [dict(f) for f in LETTER_FIELDS] + kept[at:]


def new_titles(titles: list[str]) -> list[str]:
    return [new for title in titles for new in RENAMED.get(_key(title), [title])]


def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    order_type_model = apps.get_model("servicedesk", "OrderType")
    order_model = apps.get_model("servicedesk", "Order")
    step_model = apps.get_model("servicedesk", "OrderStep")
    alias = schema_editor.connection.alias
    for order_type in order_type_model.objects.using(alias).filter(code=CODE).order_by("pk"):
        fields = list(order_type.fields or [])
        if any(f.get("name") == "letter_swedish" for f in fields):
            continue  # made by the new catalogue, or done already
        order_type.fields = new_fields(fields)
        order_type.steps = new_titles(list(order_type.steps or []))
        if " ".join(order_type.description.split()) == OLD_DESCRIPTION:
            order_type.description = NEW_DESCRIPTION
        order_type.save(update_fields=["fields", "steps", "description"])
        orders = (
            order_model.objects.using(alias)
            .filter(order_type=order_type)
            .exclude(status__in=CLOSED)
            .order_by("pk")
        )
        for order in orders:
            values = dict(order.values or {})
            if OLD_BOX not in values or "letter_swedish" in values:
                continue
            given = values.pop(OLD_BOX)
            values["letter_swedish"] = bool(given)
            values.setdefault("letter_languages", None)
            order.values = values
            order.spec = order_type.fields
            order.save(update_fields=["values", "spec"])
            _renumber(step_model, alias, order)


def _renumber(step_model: Any, alias: str, order: Any) -> None:
    """The order's checklist under the new titles: a step split in two ticks both as it was
    ticked; a step the old list lacked is added unticked."""
    steps = list(step_model.objects.using(alias).filter(order=order).order_by("position"))
    rows = step_model.objects.using(alias)
    for offset, step in enumerate(steps):  # out of the way first: (order, position) is unique
        rows.filter(pk=step.pk).update(position=1000 + offset)
    position = 0
    for step in steps:
        for n, title in enumerate(RENAMED.get(_key(step.title), [step.title])):
            position += 1
            if n == 0:
                rows.filter(pk=step.pk).update(title=title, position=position)
                continue
            added = _key(title) in NEW_STEPS
            rows.create(
                order_id=order.pk,
                position=position,
                title=title,
                done_at=None if added else step.done_at,
                done_by_id=None if added else step.done_by_id,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0001_initial"),
        ("servicedesk", "0002_order_results"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
