#!/usr/bin/env python
"""Django's command-line utility; `trygg` is the same with a nicer name."""

from trygg.cli import main

if __name__ == "__main__":
    main()
