"""The `trygg` console command: Django's management commands under one name.

`trygg serve`, `trygg seed`, `trygg import FILE` and every built-in command
(`trygg migrate`, `trygg createsuperuser`, ...) go through here.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trygg.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "trygg"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
