"""Signals other apps listen to, so devices need not know about them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that records a wipe request, with `phone` and `actor`.
# The locks app (a later issue) connects here to revoke the phone's digital keys at once:
# the keys must stop working when the wipe is asked for, not when it is done.
phone_wipe_requested = Signal()
