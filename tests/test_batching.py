"""Micro-batching and caching wrappers give the same vectors as the wrapped embedder."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from askbot.batching import CachingEmbedder, MicroBatchingEmbedder
from tests.conftest import FakeEmbedder


class SlowCountingEmbedder(FakeEmbedder):
    """Counts calls; sleeps a little so concurrent callers pile up."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    def encode(self, texts):  # type: ignore[no-untyped-def]
        import time

        self.batches.append(len(texts))
        time.sleep(0.02)
        return super().encode(texts)


@pytest.mark.parametrize("max_wait", [0.0, 0.01], ids=["greedy (default)", "10 ms window"])
def test_concurrent_calls_share_encoder_calls_and_get_their_own_rows(max_wait: float) -> None:
    inner = SlowCountingEmbedder()
    batching = MicroBatchingEmbedder(inner, max_batch=64, max_wait=max_wait)
    texts = [f"question number {i}" for i in range(40)]
    results: dict[int, np.ndarray] = {}

    def ask(i: int) -> None:
        results[i] = batching.encode([texts[i]])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    batching.close()
    expected = FakeEmbedder().encode(texts)
    for i in range(40):
        np.testing.assert_allclose(results[i][0], expected[i])
    assert sum(inner.batches) == 40
    assert len(inner.batches) < 40  # some calls were merged
    assert max(inner.batches) <= 64


def test_errors_reach_every_caller() -> None:
    class Broken(FakeEmbedder):
        def encode(self, texts):  # type: ignore[no-untyped-def]
            raise RuntimeError("encoder down")

    batching = MicroBatchingEmbedder(Broken())
    with pytest.raises(RuntimeError, match="encoder down"):
        batching.encode(["a"])
    batching.close()


def test_cache_hits_and_bound() -> None:
    inner = SlowCountingEmbedder()
    cache = CachingEmbedder(inner, capacity=2)
    first = cache.encode(["a", "b"])
    again = cache.encode(["b", "a"])
    np.testing.assert_allclose(first[::-1], again)
    assert cache.hits == 2 and inner.batches == [2]
    cache.encode(["c"])  # capacity 2: evicts the least recently used of "b", "a"
    cache.encode(["b", "a"])
    assert inner.batches[-1] == 1  # exactly one of them had been evicted
