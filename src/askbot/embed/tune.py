"""Fine-tune the embedding model on a corpus's own phrasings (``askbot tune``).

A general sentence encoder has never seen *this* FAQ's vocabulary: "does chillis take
reservations" and "can I book a table at Olive Garden" are one intent to the FAQ's editor but
not obviously so to the model. The FAQ already says which texts belong together: an entry's
question, its alternates and its answer. Tuning pulls those together and pushes other entries
away with a contrastive loss over in-batch negatives (``MultipleNegativesRankingLoss``), for
one epoch at a small learning rate. No user query is used, so a test set stays unseen.

Pairs, per entry:

- each phrasing (question or alternate) with another phrasing of the same entry, drawn at random;
- the question with the start of its answer, when there is an answer.

Entries that ask the same question (several answers to one thread) form one group; a batch
never holds two pairs of one group, since in-batch "negatives" from the same group would teach
the model to separate texts that mean the same thing.

The result is a normal sentence-transformers folder plus ``askbot_tune.json`` (what it was
trained on and a hash of the weights), so it can be loaded, exported and fingerprinted like any
packaged model. torch is needed here, never when serving.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from askbot.corpus import FaqEntry
from askbot.corpus.entries import normalise_question
from askbot.errors import TuneError

RECORD = "askbot_tune.json"


@dataclass(frozen=True, slots=True)
class TuneConfig:
    """How long and how hard to tune; the defaults take minutes on two CPU cores."""

    epochs: int = 1
    batch_size: int = 32
    learning_rate: float = 2e-5
    answer_chars: int = 500  # the start of an answer says what it is about; the rest costs time
    seed: int = 0


@dataclass(frozen=True, slots=True)
class TrainingPair:
    """Two texts that should embed close together, and the group they belong to."""

    anchor: str
    positive: str
    group: str


def training_pairs(
    entries: Sequence[FaqEntry], *, answer_chars: int = 500, seed: int = 0
) -> list[TrainingPair]:
    """The positive pairs an FAQ states about itself (see the module docstring)."""
    rng = random.Random(seed)
    pairs = []
    for entry in entries:
        group = normalise_question(entry.question)
        phrasings = list(dict.fromkeys((entry.question, *entry.alternates)))
        if len(phrasings) > 1:
            for phrasing in phrasings:
                other = rng.choice([p for p in phrasings if p != phrasing])
                pairs.append(TrainingPair(phrasing, other, group))
        if entry.answer.strip():
            pairs.append(TrainingPair(entry.question, entry.answer[:answer_chars], group))
    return pairs


def group_batches(
    pairs: Sequence[TrainingPair], size: int, *, seed: int = 0
) -> list[list[TrainingPair]]:
    """Shuffled batches of at most ``size`` pairs, no two from one group."""
    pool = list(pairs)
    random.Random(seed).shuffle(pool)
    batches = []
    while pool:
        batch: list[TrainingPair] = []
        groups: set[str] = set()
        left = []
        for pair in pool:
            if len(batch) < size and pair.group not in groups:
                batch.append(pair)
                groups.add(pair.group)
            else:
                left.append(pair)
        batches.append(batch)
        pool = left
    # A batch of one has no negatives: it teaches nothing.
    return [b for b in batches if len(b) > 1]


def tune_model(
    base: Path,
    entries: Sequence[FaqEntry],
    out: Path,
    *,
    config: TuneConfig | None = None,
    record: dict[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Fine-tune the model folder ``base`` on ``entries``; save it to ``out`` atomically.

    ``record`` is stored in ``askbot_tune.json`` beside what this function records itself.
    """
    config = config or TuneConfig()
    pairs = training_pairs(entries, answer_chars=config.answer_chars, seed=config.seed)
    if len({p.group for p in pairs}) < 2:
        raise TuneError("nothing to tune on: need at least two entries with alternates or answers")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    transformers.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    transformers.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    torch.manual_seed(config.seed)
    model: Any = SentenceTransformer(str(base), device="cpu")
    loss = MultipleNegativesRankingLoss(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate)
    schedule = [
        group_batches(pairs, config.batch_size, seed=config.seed + epoch)
        for epoch in range(config.epochs)
    ]
    total = sum(len(batches) for batches in schedule)
    started = time.perf_counter()
    done = 0
    model.train()
    for batches in schedule:
        for batch in batches:
            anchors = model.preprocess([p.anchor for p in batch])
            positives = model.preprocess([p.positive for p in batch])
            value = loss([anchors, positives], None)
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
            done += 1
            if progress is not None:
                progress(done, total)
    model.eval()

    staging = out.with_name(f".{out.name}.staging")
    shutil.rmtree(staging, ignore_errors=True)
    model.save(str(staging))
    weights = sorted(staging.glob("*.safetensors")) + sorted(staging.glob("*.bin"))
    digest = hashlib.sha256()
    for file in weights:
        digest.update(file.read_bytes())
    tuned = {
        **(record or {}),
        "pairs": len(pairs),
        "groups": len({p.group for p in pairs}),
        "batches": total,
        "seconds": round(time.perf_counter() - started, 1),
        "weights_sha256": digest.hexdigest(),
        "config": asdict(config),
    }
    (staging / RECORD).write_text(json.dumps(tuned, indent=2) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    return out


def read_record(model_dir: Path) -> dict[str, Any] | None:
    """The tune record of a model folder, or None for a model askbot did not tune."""
    path = model_dir / RECORD
    if not path.exists():
        return None
    record: dict[str, Any] = json.loads(path.read_text())
    return record
