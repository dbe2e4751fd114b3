"""Running test code in several threads at once, each on its own database connection: for
the races the claim-by-update and SKIP LOCKED code is written to win."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections


def in_threads(*functions: Callable[[], object]) -> list[object]:
    """Run each function in its own thread, on its own connection, all at once; their
    results in order. An exception in any of them fails the calling test."""
    results: list[object] = [None] * len(functions)
    errors: list[BaseException] = []
    start = threading.Barrier(len(functions))

    def run(i: int) -> None:
        try:
            start.wait(10)
            results[i] = functions[i]()
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(functions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results
