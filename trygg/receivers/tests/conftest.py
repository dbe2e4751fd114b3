"""The receivers' tests that go through to the alarms ingest use the shared alarm-unit
personas (`trygg.devices.tests.places`)."""

from trygg.devices.tests.places import place  # noqa: F401  (the fixture)
