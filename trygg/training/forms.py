"""Forms for the training pages. A session is one day from one time to another, entered as
the municipality's clock shows it and made aware in its time zone here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from trygg.core.models import Municipality, User
from trygg.lib.bounds import BoundedDateField

from .constants import MAX_REPEATS, MAX_SEATS, SessionKind, TrainedSystem
from .models import TrainingSession
from .notices import format_when

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def person_label(user: User) -> str:
    return user.get_full_name() or user.username


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)


class SessionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        assert isinstance(obj, TrainingSession)
        free = obj.seats - getattr(obj, "booked", 0)
        return str(
            _("%(when)s · %(title)s (%(free)d of %(seats)d seats free)")
            % {"when": format_when(obj), "title": obj.title, "free": free, "seats": obj.seats}
        )


class StartPlanForm(forms.Form):
    approved_on = BoundedDateField(label=_("Approved on"), widget=_DATE)
    starts_on = BoundedDateField(
        label=_("Agreed start of operations"),
        widget=_DATE,
        help_text=_("The training must be completed at the latest one week before."),
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        approved, starts = cleaned.get("approved_on"), cleaned.get("starts_on")
        if approved and starts and starts < approved:
            self.add_error(
                "starts_on",
                _("The start of operations cannot be before the approval (%(approved)s).")
                % {"approved": approved.isoformat()},
            )
        return cleaned


class SessionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=SessionKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    day = BoundedDateField(label=_("Date"), widget=_DATE)
    start_time = forms.TimeField(label=_("From"), widget=_TIME)
    end_time = forms.TimeField(label=_("Until"), widget=_TIME)
    place = forms.CharField(
        label=_("Place"),
        max_length=200,
        required=False,
        help_text=_("A room and address; or give a link for a session held online."),
    )
    link = forms.URLField(label=_("Link"), max_length=500, required=False, assume_scheme="https")
    systems = forms.MultipleChoiceField(
        label=_("IT systems"), choices=TrainedSystem.choices, widget=forms.CheckboxSelectMultiple
    )
    agenda = forms.CharField(
        label=_("Agenda"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Sent with every booking, as the routine asks."),
    )
    seats = forms.IntegerField(label=_("Seats"), min_value=1, max_value=MAX_SEATS, initial=12)

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.for_municipality = municipality

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        day, start, end = cleaned.get("day"), cleaned.get("start_time"), cleaned.get("end_time")
        if isinstance(day, dt.date) and start is not None and end is not None:
            zone = self.for_municipality.zone
            cleaned["starts_at"] = dt.datetime.combine(day, start, tzinfo=zone)
            cleaned["ends_at"] = dt.datetime.combine(day, end, tzinfo=zone)
            if end <= start:
                self.add_error("end_time", _("The session must end after it starts."))
        missing = not cleaned.get("place", "").strip() and not cleaned.get("link", "").strip()
        if missing and "place" not in self.errors and "link" not in self.errors:
            self.add_error("place", _("Give a place or a link to the session."))
        return cleaned

    @classmethod
    def initial_from(cls, session: TrainingSession) -> dict[str, Any]:
        zone = session.municipality.zone
        start, end = session.starts_at.astimezone(zone), session.ends_at.astimezone(zone)
        return {
            "kind": session.kind,
            "title": session.title,
            "day": start.date(),
            "start_time": start.time(),
            "end_time": end.time(),
            "place": session.place,
            "link": session.link,
            "systems": session.system_list,
            "agenda": session.agenda,
            "seats": session.seats,
        }


REPEAT_CHOICES = [
    (0, _("Once")),
    (1, _("Every week")),
    (2, _("Every other week")),
    (4, _("Every four weeks")),
]


class NewSessionForm(SessionForm):
    municipality = forms.ModelChoiceField(
        label=_("Municipality"), queryset=Municipality.objects.none(), empty_label=None
    )
    repeat_weeks = forms.TypedChoiceField(
        label=_("Repeat"), choices=REPEAT_CHOICES, coerce=int, initial=0
    )
    occurrences = forms.IntegerField(
        label=_("Number of sessions"),
        min_value=1,
        max_value=MAX_REPEATS,
        initial=1,
        help_text=_("For the fixed schedule of ongoing training: the same time each time."),
    )

    field_order = ["municipality"]

    def __init__(self, *args: Any, municipalities: QuerySet[Municipality], **kwargs: Any) -> None:
        first_two = list(municipalities[:2])
        super().__init__(*args, municipality=first_two[0], **kwargs)
        field = self.fields["municipality"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = municipalities
        # Someone who plans for one municipality is not asked which.
        if len(first_two) == 1:
            field.initial = first_two[0].pk
            field.required = False
            field.widget = forms.HiddenInput()

    def clean(self) -> dict[str, Any]:
        chosen = self.cleaned_data.get("municipality")
        if isinstance(chosen, Municipality):
            self.for_municipality = chosen
        else:
            self.cleaned_data["municipality"] = self.for_municipality
        cleaned = super().clean()
        if cleaned.get("repeat_weeks") == 0 and (cleaned.get("occurrences") or 1) > 1:
            self.add_error("repeat_weeks", _("Say how often the sessions repeat."))
        return cleaned


class BookingForm(forms.Form):
    person = PersonField(label=_("Person"), queryset=User.objects.none())
    session = SessionChoiceField(label=_("Session"), queryset=TrainingSession.objects.none())

    def __init__(
        self,
        *args: Any,
        people: QuerySet[User],
        sessions: QuerySet[TrainingSession],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people  # type: ignore[attr-defined]
        self.fields["session"].queryset = sessions  # type: ignore[attr-defined]


class MoveForm(forms.Form):
    session = SessionChoiceField(label=_("New session"), queryset=TrainingSession.objects.none())

    def __init__(self, *args: Any, sessions: QuerySet[TrainingSession], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = sessions  # type: ignore[attr-defined]


class AttendanceForm(forms.Form):
    attended = forms.TypedChoiceField(
        label=_("Attended"),
        choices=[("yes", _("Attended")), ("no", _("Did not attend"))],
        coerce=lambda value: value == "yes",
    )


class WebCourseForm(forms.Form):
    person = PersonField(label=_("Person"), queryset=User.objects.none())
    completed_on = BoundedDateField(label=_("Completed on"), widget=_DATE)

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people  # type: ignore[attr-defined]


class OwnWebCourseForm(forms.Form):
    """The web course a staff member records for themself."""

    completed_on = BoundedDateField(label=_("Completed on"), widget=_DATE)


class PersonForm(forms.Form):
    person = PersonField(label=_("Person"), queryset=User.objects.none())

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people  # type: ignore[attr-defined]
