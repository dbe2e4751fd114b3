"""Digital keys and lock events: their choices and the few numbers the rules rest on."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from trygg.core.constants import Role
from trygg.lib import unlock

# Roles that go into clients' homes and so may hold keys through their teams. A provider
# manager who happens to be in a team is not given keys to its clients' doors.
KEY_ROLES = frozenset({Role.CARE_WORKER, Role.TEAM_LEADER, Role.NIGHT_SUPERVISOR})

# How long a responder keeps the key to the door after closing the alarm: time to leave and
# lock up, and for a closing entered on the phone a little late.
ALARM_KEY_MARGIN = dt.timedelta(minutes=30)
# A responder on an alarm that is still open gets tokens this long ahead; the phone fetches
# again while the alarm lasts.
ALARM_TOKEN_WINDOW = dt.timedelta(hours=2)
# Tokens per door in one fetch. Each opens the door once (the lock refuses a replayed
# nonce): enough for the visits of one shift, when the door is locked from outside between.
TOKENS_PER_DOOR = 3
# A lock reporting this level or lower counts as low on battery.
LOW_BATTERY_PERCENT = 20
# A lock's event may claim a time this far ahead of the server's clock (its clock drifts
# between contacts); later than that, it is refused as a wrong clock.
EVENT_CLOCK_AHEAD = dt.timedelta(hours=1)


class KeyReason(models.TextChoices):
    TEAM = "team", _("Team responsible for the client")
    ALARM = "alarm", _("Accepted alarm")


class KeyEnd(models.TextChoices):
    LEFT_TEAM = "left_team", _("Left the team")
    CLIENT_CHANGED = "client_changed", _("The client left the team or the care ended")
    ALARM_CLOSED = "alarm_closed", _("The alarm was closed")
    LOCK_REMOVED = "lock_removed", _("The lock was taken down")
    STAFF_INACTIVE = "staff_inactive", _("No longer working here")
    PHONE_LOST = "phone_lost", _("The phone was lost")
    REVOKED = "revoked", _("Revoked")


class LockEventKind(models.TextChoices):
    UNLOCKED = "unlocked", _("Unlocked")
    LOCKED = "locked", _("Locked")
    FAILED = "failed", _("Failed attempt")
    LOW_BATTERY = "low_battery", _("Low battery")
    TAMPER = "tamper", _("Tamper")


class LockEventSource(models.TextChoices):
    LOCK = "lock", _("The lock")
    PHONE = "phone", _("A staff phone")


class Refusal(models.TextChoices):
    """Why a lock kept the door shut: trygg.lib.unlock.Refusal, with words for people."""

    MALFORMED = unlock.Refusal.MALFORMED.value, _("Not a valid token")
    UNKNOWN_KEY_VERSION = unlock.Refusal.UNKNOWN_KEY_VERSION.value, _("Unknown key version")
    BAD_SIGNATURE = unlock.Refusal.BAD_SIGNATURE.value, _("Forged or altered token")
    WRONG_LOCK = unlock.Refusal.WRONG_LOCK.value, _("Token for another door")
    NOT_YET_VALID = unlock.Refusal.NOT_YET_VALID.value, _("Token not valid yet")
    EXPIRED = unlock.Refusal.EXPIRED.value, _("Token expired")
    WINDOW_TOO_LONG = unlock.Refusal.WINDOW_TOO_LONG.value, _("Token valid for too long")
    REVOKED = unlock.Refusal.REVOKED.value, _("Key revoked")
    REPLAYED = unlock.Refusal.REPLAYED.value, _("Token already used")


class KeyHolder(models.TextChoices):
    """Who holds a client's physical key under a key receipt (nyckelkvittens)."""

    PROVIDER = "provider", _("The client's home-care provider")
    ALARM_ORGANISATION = "alarm_organisation", _("The district's alarm organisation")
    WELFARE_TECHNOLOGY = "welfare_technology", _("The welfare-technology team")


class SignedHow(models.TextChoices):
    PHONE = "phone", _("Signed on the phone")
    PAPER = "paper", _("Signed on paper")


class Symptom(models.TextChoices):
    WONT_OPEN = "wont_open", _("The door does not open with the phone")
    WONT_LOCK = "wont_lock", _("The door does not lock")
    NOT_FOUND = "not_found", _("The phone does not find the lock")
    BATTERY = "battery", _("The lock warns of a low battery")
    DAMAGED = "damaged", _("The lock is loose or damaged")
    OTHER = "other", _("Something else")


class BackupKeyOutcome(models.TextChoices):
    WORKED = "worked", _("Used the backup key: I got in")
    FAILED = "failed", _("Used the backup key: it did not help")
    MISSING = "missing", _("The backup key was not there")
    NOT_TRIED = "not_tried", _("Did not use the backup key")


class BatteryCancel(models.TextChoices):
    """Why a battery change was cancelled rather than done."""

    LOCK_REMOVED = "lock_removed", _("the lock was taken down")
