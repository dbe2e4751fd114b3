"""What the receivers are handed from above: where their signals go, and what they must
know about units. The receivers import no domain app; the app that owns the units
registers these when it loads (`AppConfig.ready`, as `trygg.alarms` does):

- the ingest: takes a batch of `IncomingSignal`, commits it, returns one `IngestOutcome`
  each (DC-09, SCAIP and the HTTPS API all feed it);
- the DC-09 key loader: the AES keys of encrypted units by account, which the DC-09
  receiver needs before any frame reaches the ingest;
- the device lookup: which unit a bearer token on the HTTPS API belongs to.

Each is looked up once where it is used (a committer or a key cache keeps what it was
given), so the registry costs nothing per frame. A later registration replaces an
earlier one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .incoming import ApiDevice, IncomingSignal, IngestOutcome

if TYPE_CHECKING:
    from trygg.core.models import ApiToken

IngestFunction = Callable[[Sequence[IncomingSignal]], list[IngestOutcome]]
# municipality id (None: every municipality) -> keys by account in upper case; a list
# because one account may be registered in several municipalities.
KeyLoader = Callable[[int | None], dict[str, list[bytes]]]
# A live token -> the unit it posts as, or None when it is no unit's token on the API.
DeviceLookup = Callable[["ApiToken"], ApiDevice | None]


class NotRegistered(LookupError):
    """Nothing registered what a receiver needs: no app that takes signals is installed."""


_ingest: IngestFunction | None = None
_key_loader: KeyLoader | None = None
_device_lookup: DeviceLookup | None = None


def register_ingest(function: IngestFunction) -> IngestFunction:
    global _ingest
    _ingest = function
    return function


def register_key_loader(function: KeyLoader) -> KeyLoader:
    global _key_loader
    _key_loader = function
    return function


def register_device_lookup(function: DeviceLookup) -> DeviceLookup:
    global _device_lookup
    _device_lookup = function
    return function


def get_ingest() -> IngestFunction:
    if _ingest is None:
        raise NotRegistered("No ingest is registered: is trygg.alarms in INSTALLED_APPS?")
    return _ingest


def get_key_loader() -> KeyLoader:
    if _key_loader is None:
        raise NotRegistered("No DC-09 key loader is registered: is trygg.alarms installed?")
    return _key_loader


def get_device_lookup() -> DeviceLookup:
    if _device_lookup is None:
        raise NotRegistered("No device lookup is registered: is trygg.alarms installed?")
    return _device_lookup
