"""Micro-batching: concurrent encoder calls merged into few, for serving.

Under load many request threads each want one short query encoded. One encoder call on a
batch of 16 costs far less than 16 calls of one, so ``MicroBatchingEmbedder`` encodes on one
background thread everything that is waiting (up to ``max_batch`` texts) and hands every
caller its own rows. By default it batches greedily: it never waits for company, because under
load the calls that arrive while one batch is encoding form the next batch anyway, and a lone
request should not pay a batching window. ``max_wait`` > 0 holds a batch open that long.

It also offers ``encode_async`` for the API's event loop: the loop queues the texts for the
encoder thread and awaits the batch, with no request thread in between.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from queue import Empty, SimpleQueue

import anyio
import numpy as np

from askbot.embed.protocol import Embedder, Vectors, Wrapper


class MicroBatchingEmbedder(Wrapper):
    """Merges concurrent ``encode`` calls from many threads into few encoder calls."""

    def __init__(self, inner: Embedder, *, max_batch: int = 32, max_wait: float = 0.0) -> None:
        if max_batch < 1 or max_wait < 0:
            raise ValueError("max_batch must be >= 1 and max_wait >= 0")
        self.inner = inner
        self.max_batch = max_batch
        self.max_wait = max_wait
        self._queue: SimpleQueue[tuple[list[str], Future[Vectors]] | None] = SimpleQueue()
        self._worker = threading.Thread(target=self._run, name="askbot-encoder", daemon=True)
        self._worker.start()
        self.calls = 0  # encoder calls made, for tests and benchmarks
        self.texts = 0

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Encode, sharing one encoder call with whatever else is waiting."""
        return self._submit(texts).result()

    async def encode_async(self, texts: Sequence[str]) -> Vectors:
        """``encode`` for a coroutine: the event loop runs on while the batch encodes."""
        return await asyncio.wrap_future(self._submit(texts))

    def _submit(self, texts: Sequence[str]) -> Future[Vectors]:
        """Queue ``texts`` for the next batch; the future holds their rows."""
        future: Future[Vectors] = Future()
        if texts:
            self._queue.put((list(texts), future))
        else:
            future.set_result(np.zeros((0, self.dimension), dtype=np.float32))
        return future

    def close(self) -> None:
        """Stop the background thread."""
        self._queue.put(None)
        self._worker.join(timeout=5)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            size = len(first[0])
            # Gather what is already waiting (or arrives within max_wait), up to max_batch texts.
            while size < self.max_batch:
                try:
                    if self.max_wait > 0:
                        item = self._queue.get(timeout=self.max_wait)
                    else:
                        item = self._queue.get_nowait()
                except Empty:
                    break
                if item is None:
                    self._queue.put(None)  # stop after serving this batch
                    break
                batch.append(item)
                size += len(item[0])
            texts = [text for chunk, _ in batch for text in chunk]
            try:
                vectors = self.inner.encode(texts)
            except BaseException as exc:  # every waiting caller gets the error, none hangs
                for _, future in batch:
                    future.set_exception(exc)
                continue
            self.calls += 1
            self.texts += len(texts)
            start = 0
            for chunk, future in batch:
                future.set_result(vectors[start : start + len(chunk)])
                start += len(chunk)


async def encode_async(embedder: Embedder, texts: Sequence[str]) -> Vectors:
    """Encode from a coroutine without blocking its event loop.

    An embedder with an ``encode_async`` of its own (the micro-batcher, the cache) is awaited
    directly; any other (the torch backend, a test's) runs in a worker thread.
    """
    encode = getattr(embedder, "encode_async", None)
    if encode is not None:
        vectors: Vectors = await encode(texts)
        return vectors
    return await anyio.to_thread.run_sync(embedder.encode, list(texts))
