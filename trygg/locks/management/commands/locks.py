"""`trygg locks rotate-key|keys|reconcile|token|try-door`: the operator's side of digital keys.

- `rotate-key [--withdraw]`: a new unlock signing key version signs from now on; the old
  one still verifies its tokens until they expire (with --withdraw, for a key believed
  leaked, locks drop it at their next contact).
- `keys`: the key versions, their dates and public-key fingerprints (never a private key).
- `reconcile`: bring every digital key in step with teams, alarms and locks now.
- `token --municipality CODE --lock SERIAL [--rotate]`: the lock's bearer token for the
  lock API, printed once.
- `try-door --user NAME --lock SERIAL`: the demo's door: the lock simulator makes contact,
  the user's phone fetches tokens and presents one; prints what the lock did.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from trygg.core.models import Municipality, User
from trygg.devices.models import DoorLock
from trygg.locks import inventory, keystore, services, tokens
from trygg.locks.keys import reconcile_keys
from trygg.locks.models import SigningKeyVersion
from trygg.locks.simulator import SimulatedLock


class Command(BaseCommand):
    help = "Unlock signing keys, digital keys and door locks."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        rotate = actions.add_parser("rotate-key", help="Make a new signing key version active.")
        rotate.add_argument(
            "--withdraw",
            action="store_true",
            help="The old key may have leaked: locks drop it at their next contact.",
        )
        actions.add_parser("keys", help="List the signing key versions.")
        actions.add_parser("reconcile", help="Start and end digital keys to match now.")
        token = actions.add_parser("token", help="Create a lock's bearer token, printed once.")
        token.add_argument("--municipality", required=True, help="Municipality code.")
        token.add_argument("--lock", required=True, metavar="SERIAL", help="The lock's serial.")
        token.add_argument("--rotate", action="store_true", help="Replace a live token.")
        door = actions.add_parser("try-door", help="Open a lock through the simulator.")
        door.add_argument("--user", required=True, help="User name of the staff member.")
        door.add_argument("--lock", required=True, metavar="SERIAL", help="The lock's serial.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "rotate-key":
                self._rotate(withdraw=options["withdraw"])
            elif action == "keys":
                self._list()
            elif action == "reconcile":
                done = reconcile_keys()
                self.stdout.write(f"Keys started: {done.started}, ended: {done.ended}.")
            elif action == "token":
                self._token(options)
            else:
                self._try_door(options["user"], options["lock"])
        except keystore.KeyStoreError as exc:
            raise CommandError(str(exc)) from exc

    def _rotate(self, *, withdraw: bool) -> None:
        row = keystore.rotate(withdraw=withdraw)
        self.stdout.write(
            f"Version {row.version} signs from now (public key "
            f"{keystore.fingerprint(bytes(row.public_key))})."
        )
        if withdraw:
            self.stdout.write(
                "Older versions are withdrawn: locks drop them at their next contact."
            )
        else:
            self.stdout.write("Older versions still verify until their tokens have expired.")

    def _list(self) -> None:
        now = timezone.now()
        rows = list(SigningKeyVersion.objects.order_by("version"))
        if not rows:
            self.stdout.write("No signing key yet: the first is made on first use.")
        given = keystore.public_keys_for_locks(now) if rows else {}
        for row in rows:
            state = (
                "active"
                if row.is_active
                else ("given to locks" if row.version in given else "dropped")
            )
            retired = f", retired {row.retired_at:%Y-%m-%d %H:%M}" if row.retired_at else ""
            self.stdout.write(
                f"v{row.version}  {keystore.fingerprint(bytes(row.public_key))}  "
                f"created {row.created_at:%Y-%m-%d %H:%M}{retired}  ({state})"
            )

    def _lock(self, serial: str, municipality: Municipality | None = None) -> DoorLock:
        locks = DoorLock.objects.filter(serial_number=serial.strip())
        if municipality is not None:
            locks = locks.filter(municipality=municipality)
        found = list(locks.select_related("municipality")[:2])
        if len(found) != 1:
            raise CommandError(f"No single door lock with serial number {serial!r}.")
        return found[0]

    def _token(self, options: dict[str, Any]) -> None:
        municipality = Municipality.objects.filter(code=options["municipality"].strip()).first()
        if municipality is None:
            raise CommandError(f"No municipality with code {options['municipality']!r}.")
        lock = self._lock(options["lock"], municipality)
        try:
            token, plain = inventory.issue_lock_token(None, lock, rotate=options["rotate"])
        except inventory.LockError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Created lock token {token.prefix}… for door lock {lock.serial_number}.")
        self.stdout.write("Copy it now; it is stored only as a digest and cannot be shown again:")
        self.stdout.write(plain)

    def _try_door(self, username: str, serial: str) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        lock = self._lock(serial)
        # The lock has just set its clock from the server's at this contact.
        simulated = SimulatedLock(lock.lock_id, clock=lambda: int(timezone.now().timestamp()))
        simulated.receive(services.lock_contact(lock, **_hello(simulated)).as_wire())
        try:
            issued = tokens.issue_tokens(user)
        except tokens.NoTokens as exc:
            raise CommandError(str(exc)) from exc
        door = next((d for d in issued.doors if d.lock.pk == lock.pk), None)
        if door is None:
            raise CommandError(f"{user} holds no key to lock {serial} now.")
        verdict = simulated.present(door.tokens[0])
        recorded = services.record_lock_events(
            lock, services.reported_from_wire(simulated.pending())
        )
        simulated.acknowledge(recorded.event_ids)
        if verdict.opened:
            self.stdout.write(
                f"Opened for {user} (key {door.key.pk}, version {issued.key_version})."
            )
        else:
            assert verdict.refusal is not None
            self.stdout.write(f"Refused: {verdict.refusal.value}.")


def _hello(simulated: SimulatedLock) -> dict[str, Any]:
    hello = simulated.hello()
    return {"battery": hello["battery"], "firmware": hello["firmware"]}
