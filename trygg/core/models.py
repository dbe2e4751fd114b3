"""Municipalities, providers, teams, staff and their roles, clients and what they are granted."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trygg.lib import national_ids, workdays

from .constants import (
    CLOCK_NAMES,
    COUNTRY_TIME_ZONE,
    LIST_ACTIONS,
    MUNICIPAL_ROLES,
    PROVIDER_ROLES,
    AccessAction,
    ConsentRelation,
    Country,
    Period,
    ProviderKind,
    Role,
    ServiceCategory,
    Technology,
)

assert set(workdays.SUPPORTED_COUNTRIES) == set(Country.values)


class Municipality(models.Model):
    """A municipality (kommun / kommune): owns the welfare technology and its catalogue."""

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("municipality code"), max_length=4, unique=True)
    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Stockholm")

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    # The municipal clock: every "today", billing month, look-in time, key validity and
    # support hour is the municipality's, never the server's (DESIGN §4, Time).
    @property
    def zone(self) -> ZoneInfo:
        """The municipality's time zone (Europe/Stockholm, Europe/Oslo)."""
        return ZoneInfo(self.time_zone)  # ZoneInfo keeps one instance per key

    @property
    def clock_name(self) -> str:
        """What people call the municipality's time ("svensk tid", "norsk tid"), in the
        active language; the zone's name only for a zone not its country's own."""
        if COUNTRY_TIME_ZONE.get(self.country) == self.time_zone:
            return str(CLOCK_NAMES[self.country])
        return self.time_zone

    def localtime(self, moment: dt.datetime | None = None) -> dt.datetime:
        """`moment` (aware; default now) as the municipality's wall-clock time."""
        return (moment if moment is not None else timezone.now()).astimezone(self.zone)

    def local_date(self, moment: dt.datetime) -> dt.date:
        """The municipality's calendar day at `moment` (aware)."""
        return moment.astimezone(self.zone).date()

    def today(self) -> dt.date:
        """Today's date in the municipality."""
        return self.localtime().date()

    def closed_days(self) -> frozenset[dt.date]:
        """Extra days this municipality keeps closed, beyond the national calendar."""
        return frozenset(self.extra_closed_days.values_list("date", flat=True))

    def is_working_day(self, day: dt.date) -> bool:
        return workdays.is_working_day(day, self.country, self.closed_days())

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """`n` working days after `day` by this municipality's calendar: for deadlines."""
        return workdays.add_working_days(day, n, self.country, self.closed_days())

    def nearest_working_days(self, day: dt.date) -> tuple[dt.date, dt.date]:
        return workdays.nearest_working_days(day, self.country, self.closed_days())


class ClosedDay(models.Model):
    """An extra non-working day decided by the municipality (klämdag / inneklemt dag)."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="extra_closed_days"
    )
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("closed day")
        verbose_name_plural = _("closed days")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "date"], name="closedday_unique")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.reason}"


class Provider(models.Model):
    """A care provider (utförare / tjenesteyter): the municipality's own or a private one.

    Providers are secrecy boundaries: staff of one never see another's clients.
    """

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="providers"
    )
    name = models.CharField(_("name"), max_length=200)
    org_number = models.CharField(_("organisation number"), max_length=11)
    kind = models.CharField(_("kind"), max_length=16, choices=ProviderKind.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "org_number"], name="provider_org_number_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.municipality_id is None:
            return  # the form reports the missing municipality; the number needs its country
        try:
            self.org_number = national_ids.parse_org_number(
                self.org_number, self.municipality.country
            )
        except national_ids.InvalidNationalId as exc:
            raise ValidationError({"org_number": str(exc)}) from exc


class Team(models.Model):
    """A team, district or group within a provider (arbetslag, distrikt / team, sone)."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=32)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["provider__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "code"], name="team_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who logs in: staff of a provider or of the municipality."""

    national_id = models.CharField(
        _("national id"),
        max_length=12,
        blank=True,
        db_index=True,
        help_text=_("Used only to flag reads of one's own or a colleague's record."),
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    preferred_language = models.CharField(_("language"), max_length=5, blank=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class RoleAssignment(models.Model):
    """One role a staff member holds, at a provider or at the municipality, with teams."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="role_assignments"
    )
    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
    )
    teams = models.ManyToManyField(Team, blank=True, related_name="role_assignments")

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "provider"],
                condition=Q(provider__isnull=False),
                name="roleassignment_unique_at_provider",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "municipality"],
                condition=Q(provider__isnull=True),
                name="roleassignment_unique_at_municipality",
            ),
            models.CheckConstraint(
                condition=(
                    Q(role__in=sorted(PROVIDER_ROLES), provider__isnull=False)
                    | Q(role__in=sorted(MUNICIPAL_ROLES), provider__isnull=True)
                ),
                name="roleassignment_provider_matches_role",
            ),
        ]

    def __str__(self) -> str:
        where = self.provider or self.municipality
        return f"{self.get_role_display()} ({where})"

    def clean(self) -> None:
        if self.role in PROVIDER_ROLES and self.provider_id is None:
            raise ValidationError({"provider": _("This role is held at a provider.")})
        if self.role in MUNICIPAL_ROLES and self.provider_id is not None:
            raise ValidationError({"provider": _("This role is held at the municipality.")})


_ID_LIKE = re.compile(r"^[\d\s+-]{10,13}$")


# How far ahead "starting soon" looks: two weeks gives the team time to plan the first visits.
STARTING_SOON_DAYS = 14


class ClientQuerySet(models.QuerySet["Client"]):
    def active_on(self, day: dt.date) -> ClientQuerySet:
        return self.filter(Q(start_date__lte=day), Q(end_date__isnull=True) | Q(end_date__gte=day))

    def consent_review_due(self, day: dt.date) -> ClientQuerySet:
        """Active clients with a consent (not withdrawn) whose review date has come: the
        start page's count and the client list's filter behind it."""
        due = Consent.objects.filter(withdrawn_on__isnull=True, review_on__lte=day)
        return self.active_on(day).filter(pk__in=due.values("client_id"))

    def starting_soon(self, day: dt.date) -> ClientQuerySet:
        """Clients whose service starts after `day` but within STARTING_SOON_DAYS: the start
        page's count and the client list's filter behind it, so the two cannot differ."""
        return self.filter(
            start_date__gt=day, start_date__lte=day + dt.timedelta(days=STARTING_SOON_DAYS)
        )

    def search(self, text: str) -> ClientQuerySet:
        """Narrow by a national id (exact, any written form) or by name and address: the
        client list's search and the API's."""
        text = text.strip()
        if not text:
            return self
        if _ID_LIKE.match(text):
            canonical = {
                parsed.canonical
                for country in ("SE", "NO")
                for parsed in [_try_parse_national_id(text, country)]
                if parsed is not None
            }
            if canonical:
                return self.filter(national_id__in=canonical)
        condition = Q()
        for word in text.split():
            condition &= (
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(street__icontains=word)
                | Q(case_system_id__iexact=word)
            )
        return self.filter(condition)


def is_national_id_search(text: str) -> bool:
    """Whether a search is for one person by their national id (`ClientQuerySet.search`
    then looks for that id alone)."""
    text = text.strip()
    return bool(_ID_LIKE.match(text)) and any(
        _try_parse_national_id(text, country) is not None for country in ("SE", "NO")
    )


def _try_parse_national_id(text: str, country: str) -> national_ids.NationalId | None:
    try:
        return national_ids.parse_national_id(text, country)
    except national_ids.InvalidNationalId:
        return None


class Client(models.Model):
    """A person receiving care (brukare, kund / bruker)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="clients")
    case_system_id = models.CharField(
        _("case system id"), max_length=64, help_text=_("The id the case system sends.")
    )
    national_id = models.CharField(_("national id"), max_length=12)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    street = models.CharField(_("street address"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=10)
    city = models.CharField(_("city"), max_length=100)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # A secret: shown only on explicit request on the detail page, and that read is logged.
    door_code = models.CharField(_("door code"), max_length=32, blank=True)
    # How a responder gets in at night, shown with each of the client's alarms.
    key_location = models.CharField(
        _("key"),
        max_length=200,
        blank=True,
        help_text=_("Where the key is kept: key safe by the door, at the team's office, hook 14."),
    )
    digital_lock = models.BooleanField(
        _("digital lock"), default=False, help_text=_("The door opens with the phone app.")
    )
    languages = models.CharField(
        _("preferred languages"),
        max_length=64,
        blank=True,
        help_text=_("ISO 639-1 codes separated by commas, most preferred first."),
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="clients", verbose_name=_("provider")
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="clients",
        verbose_name=_("team"),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "case_system_id"], name="client_case_system_id_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "last_name", "first_name"]),
            # The client list of municipal roles (auditors, operators), in name order.
            models.Index(fields=["municipality", "last_name", "first_name"]),
            models.Index(fields=["national_id"]),
            models.Index(fields=["team", "last_name"]),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def masked_national_id(self) -> str:
        return national_ids.mask(self.national_id)

    @property
    def display_national_id(self) -> str:
        if len(self.national_id) == 12:
            return f"{self.national_id[:8]}-{self.national_id[8:]}"
        return f"{self.national_id[:6]} {self.national_id[6:]}"

    @property
    def language_list(self) -> list[str]:
        return [code.strip() for code in self.languages.split(",") if code.strip()]

    def is_active_on(self, day: dt.date) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)


class Consent(models.Model):
    """Consent to a welfare technology, from the client or someone living with them."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="consents")
    technology = models.CharField(_("technology"), max_length=32, choices=Technology.choices)
    given_by = models.CharField(_("given by"), max_length=200)
    relation = models.CharField(_("relation"), max_length=16, choices=ConsentRelation.choices)
    given_on = models.DateField(_("given on"))
    review_on = models.DateField(_("review on"), null=True, blank=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["technology", "-given_on"]

    def __str__(self) -> str:
        return f"{self.get_technology_display()}: {self.given_by}"


class ServiceType(models.Model):
    """A kind of service in a municipality's catalogue (insatstyp / tjenestetype)."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="service_types"
    )
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=32, choices=ServiceCategory.choices)

    class Meta:
        verbose_name = _("service type")
        verbose_name_plural = _("service types")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="servicetype_unique")
        ]

    def __str__(self) -> str:
        return self.name


class GrantedService(models.Model):
    """A granted service item (beviljad insats / vedtak) with its granted time."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="granted_services")
    service_type = models.ForeignKey(
        ServiceType, on_delete=models.PROTECT, verbose_name=_("service type")
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="granted_services"
    )
    case_system_id = models.CharField(_("case system id"), max_length=64)
    granted_minutes = models.PositiveIntegerField(_("granted minutes"))
    period = models.CharField(_("period"), max_length=8, choices=Period.choices)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("granted service")
        verbose_name_plural = _("granted services")
        ordering = ["valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "case_system_id"], name="grantedservice_unique"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="grantedservice_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_type} {self.granted_minutes} min {self.get_period_display()}"

    def is_active_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or self.valid_to >= day)


class AccessLogQuerySet(models.QuerySet["AccessLogEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("The access log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The access log is append-only.")


# A read an auditor should look at. The partial indexes below are written with this very
# condition, and a query must use it as it is for SQLite to see that they apply.
FLAGGED_READ = Q(own_record=True) | Q(colleague_record=True) | Q(outside_teams=True)
# What the review's flags select: flagged reads of a record opened, not names in a list.
# New list rows are never flagged (`services.log_client_access`); rows written before that
# rule may be, and stay as they were written (the log is append-only), so the review leaves
# them out here.
FLAGGED_FOR_REVIEW = FLAGGED_READ & ~Q(action__in=sorted(LIST_ACTIONS))


class AccessLogEntry(models.Model):
    """One read of a client's personal data: who, which client, what, when, from where.

    Append-only: the model refuses updates and deletes, and the database refuses them too
    (triggers installed by migration).
    """

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("staff member")
    )
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="+", verbose_name=_("client")
    )
    action = models.CharField(_("what"), max_length=16, choices=AccessAction.choices)
    path = models.CharField(_("where in Trygg"), max_length=300)
    remote_addr = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    # The client's municipality, copied from the client so that an auditor's "newest reads
    # in my municipality" is one index range instead of a join over the whole log.
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the (municipality, at, id) index below leads with it
        verbose_name=_("municipality"),
    )
    # The reader's providers at the time (usually one, sometimes several), so a provider's
    # manager can review their own staff's reads even after the staff member has moved on.
    reader_providers = models.ManyToManyField(
        Provider,
        through="AccessLogReaderProvider",
        related_name="+",
        blank=True,
        verbose_name=_("reader's providers"),
    )
    own_record = models.BooleanField(_("own record"), default=False)
    colleague_record = models.BooleanField(_("colleague's record"), default=False)
    outside_teams = models.BooleanField(_("outside own teams"), default=False)
    # What the page showed besides the client's own particulars: the record's sections
    # (core.record) and what each named, {"alarms": ["412"], "orders": []}; null for a read
    # that showed nothing more. Identifiers only, never personal data.
    shown = models.JSONField(_("what was shown"), null=True, blank=True)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["user", "-at"]),
            models.Index(fields=["client", "-at"]),
            models.Index(fields=["municipality", "-at", "-id"], name="core_accesslog_muni_at"),
            # Flagged reads are a few percent of the log and what reviewers look for: an
            # auditor's and a manager's "own record" or "colleague's record" over a whole
            # year read these instead of every row.
            models.Index(
                fields=["municipality", "-at", "-id"],
                condition=FLAGGED_READ,
                name="core_accesslog_muni_flagged",
            ),
            models.Index(
                fields=["-at", "-id"], condition=FLAGGED_READ, name="core_accesslog_flagged"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.action} {self.client_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("The access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("The access log is append-only.")

    @property
    def flagged(self) -> bool:
        """Whether the review's flags select this row (`FLAGGED_FOR_REVIEW`)."""
        if self.action in LIST_ACTIONS:
            return False
        return self.own_record or self.colleague_record or self.outside_teams


class AccessLogReaderQuerySet(models.QuerySet["AccessLogReaderProvider"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("The access log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The access log is append-only.")


class AccessLogReaderProvider(models.Model):
    """A provider the reader of a logged read worked for at that moment.

    Part of the append-only access log, like its entry: written once, with the entry.
    """

    # The unique constraint's index (entry first) serves "was this read made by provider
    # X's staff?" for each row; the provider index serves a provider's reads, newest first
    # (ids rise with time).
    entry = models.ForeignKey(
        AccessLogEntry, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    objects = AccessLogReaderQuerySet.as_manager()

    class Meta:
        verbose_name = _("reader's provider")
        verbose_name_plural = _("readers' providers")
        constraints = [
            models.UniqueConstraint(fields=["entry", "provider"], name="accesslogreader_unique"),
        ]
        indexes = [models.Index(fields=["provider", "-entry"], name="core_accesslog_reader_prov")]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.provider_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("The access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("The access log is append-only.")


class ApiToken(models.Model):
    """A bearer token for an integration (the case system) or a device.

    Only a SHA-256 digest is stored; the token itself is shown once, when created.
    """

    name = models.CharField(_("name"), max_length=100)
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE)
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, null=True, blank=True)
    scopes = models.CharField(_("scopes"), max_length=200, default="import")
    prefix = models.CharField(max_length=8, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes.split()


class OutboxQuerySet(models.QuerySet["OutboxMessage"]):
    def due(self, now: dt.datetime) -> OutboxQuerySet:
        """Pending and due at `now`: never tried, or its retry time has come. The partial
        index `outbox_pending` holds exactly the pending rows, in the order they are
        delivered; `delivered_at IS NULL` is spelled as in the index so that SQLite sees it
        apply."""
        return self.filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
            delivered_at__isnull=True,
        )


class OutboxMessage(models.Model):
    """Something an app changed that another part of Trygg must act on (an alarm raised, a
    look-in missed, a lock's battery low): written in the change's own transaction and
    delivered after it by the handler registered for its topic (DESIGN §2, outbox;
    trygg/core/outbox.py). Ids only, never personal data, as on the event bus."""

    # "<app>.<what happened>", e.g. "alarm.raised"; the topic says what `subject_id` is.
    topic = models.CharField(max_length=64)
    # The topic's first part ("alarm"), set by trygg/core/outbox.py: the pending index is
    # ordered by it, so one app's backlog never slows the delivery of another's messages.
    stream = models.CharField(max_length=32)
    subject_id = models.BigIntegerField()
    payload = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Set only when a try failed (or nobody handles the topic): not before then. Null for a
    # fresh message, so it is due at once whatever the clocks of writer and deliverer say.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # The last failure's exception type and where it was raised, never its text.
    last_error = models.CharField(max_length=200, blank=True)

    objects = OutboxQuerySet.as_manager()

    class Meta:
        verbose_name = "outbox message"
        indexes = [
            # Only the pending rows, few at any time however long the history: an idle
            # "anything due?" reads an empty stretch of the index, and a backlog is claimed
            # oldest first by walking its app's stretch in order.
            models.Index(
                fields=["stream", "id"],
                name="outbox_pending",
                condition=Q(delivered_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.subject_id}"
