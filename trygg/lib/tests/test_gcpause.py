"""The collector pause around large batches: off inside, back as it was after, whatever
happens inside and however many threads are inside at once."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from trygg.lib.gcpause import paused


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_off_inside_and_on_again_after() -> None:
    with paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_still_turns_it_on_again() -> None:
    with pytest.raises(ZeroDivisionError), paused():
        1 / 0  # noqa: B018
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with paused():
        pass
    assert not gc.isenabled()


def test_nested_batches_keep_it_off_until_the_outer_one_ends() -> None:
    with paused():
        with paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_one_thread_ending_its_batch_does_not_restart_it_under_another() -> None:
    first_inside, second_inside, first_done = (threading.Event() for _ in range(3))
    seen: list[bool] = []

    def first() -> None:
        with paused():
            first_inside.set()
            second_inside.wait(5)
        first_done.set()

    def second() -> None:
        first_inside.wait(5)
        with paused():
            second_inside.set()
            first_done.wait(5)
            seen.append(gc.isenabled())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == [False]
    assert gc.isenabled()


def test_it_works_as_a_decorator() -> None:
    @paused()
    def batch() -> bool:
        return gc.isenabled()

    assert batch() is False
    assert gc.isenabled()
