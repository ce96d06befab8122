"""The collector's settings for a batch of work (appeals.infra.heap)."""

from __future__ import annotations

import gc
import threading

import pytest

from appeals.infra.heap import batch_collection


def test_a_batch_raises_the_young_threshold_and_puts_back_what_was_there() -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(500, 7, 3)
        with batch_collection(young=40_000):
            assert gc.get_threshold() == (40_000, 7, 3)
        assert gc.get_threshold() == (500, 7, 3)
        with batch_collection(young=100):  # never lower than it was
            assert gc.get_threshold() == (500, 7, 3)
    finally:
        gc.set_threshold(*before)


def test_overlapping_batches_put_it_back_when_the_last_ends_even_after_an_error() -> (
    None
):
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        first_inside = threading.Event()
        let_go = threading.Event()
        seen: list[tuple[int, int, int]] = []

        def other() -> None:
            with batch_collection(young=50_000):
                first_inside.set()
                let_go.wait(timeout=10)
                seen.append(gc.get_threshold())

        thread = threading.Thread(target=other)
        thread.start()
        assert first_inside.wait(timeout=10)
        with pytest.raises(RuntimeError), batch_collection(young=50_000):
            raise RuntimeError("a batch that fails")
        assert gc.get_threshold() == (50_000, 10, 10)  # the other still runs
        let_go.set()
        thread.join(timeout=10)
        assert seen == [(50_000, 10, 10)]
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)
