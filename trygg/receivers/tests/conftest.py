"""The receivers' tests that go through to the alarms ingest use the shared alarm-unit
personas (`trygg.devices.tests.places`)."""

from trygg.devices.tests import places

place = places.place  # the fixture, this package's own
