"""The front door for devices: DC-09 and SCAIP receivers, the HTTPS device API, and the
group committer between them and the database.

Wire code only. What arrives is decoded into the `IncomingSignal` contract (`incoming.py`)
and handed to whichever ingest registered itself (`registry.py`); this package imports no
domain app."""
