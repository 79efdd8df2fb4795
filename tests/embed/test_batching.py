"""Micro-batching and caching wrappers give the same vectors as the wrapped embedder."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from askbot.embed import CachingEmbedder, MicroBatchingEmbedder, encode_async
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


def test_coroutines_await_shared_batches_without_a_thread_each() -> None:
    # The chat route awaits the encoder's batch on the event loop (askbot.batching.encode_async).
    inner = SlowCountingEmbedder()
    batching = MicroBatchingEmbedder(inner, max_batch=64)
    cache = CachingEmbedder(batching)
    texts = [f"question number {i}" for i in range(30)]

    async def ask_all() -> list[np.ndarray]:
        return list(await asyncio.gather(*(encode_async(cache, [text]) for text in texts)))

    threads_before = threading.active_count()
    results = asyncio.run(ask_all())
    assert threading.active_count() == threads_before  # no pool thread was started
    np.testing.assert_allclose(np.vstack(results), FakeEmbedder().encode(texts))
    assert sum(inner.batches) == 30 and len(inner.batches) < 30  # calls were merged
    again = asyncio.run(encode_async(cache, texts[:2]))
    np.testing.assert_allclose(again, FakeEmbedder().encode(texts[:2]))
    assert cache.hits == 2 and sum(inner.batches) == 30  # answered from the cache
    batching.close()


def test_encode_async_runs_any_other_embedder_off_the_loop() -> None:
    texts = ["a question", "another one"]
    vectors = asyncio.run(encode_async(FakeEmbedder(), texts))
    np.testing.assert_allclose(vectors, FakeEmbedder().encode(texts))
