"""Pausing Python's cyclic garbage collector while one large batch is worked through.

A batch of 10,000 visits makes a few hundred thousand objects (the parsed items, the rows,
the answers) that all stay alive until the batch is done. CPython's collector starts a pass
every 700 new container objects; each pass walks the young objects, which here all survive,
and moves them on to the older generations, which later passes walk again. Measured on the
visit sync: 0.6 s of its 1.3 s of CPU (docs/benchmarks.md, "Visit sync"). While paused,
reference counting frees objects exactly as before; only reference cycles wait for the
next pass, and a batch leaves none that outlive it.

The collector is one per process, so the pause is too: a count of the batches inside keeps
it paused until the last one ends, and one thread's batch ending does not restart it under
another's. A collector that was already off (a test, an embedding program) stays off.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_inside = 0
_restart = False


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection while inside (usable as a decorator too)."""
    global _inside, _restart
    with _lock:
        if _inside == 0:
            _restart = gc.isenabled()
            gc.disable()
        _inside += 1
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0 and _restart:
                gc.enable()
