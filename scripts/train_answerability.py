"""Fine-tune a small cross-encoder for answerability on article-sized FAQs, and measure it.

Question (issue 24, item 1): does a cross-encoder fine-tuned from the packaged all-MiniLM-L6-v2
weights separate *answerable* questions from *on-topic unanswerable* ones (questions on the
FAQ's topic that it does not answer) better than askbot's confidence? Development data only.

1. **Draws.** Small FAQs (6-12 entries) are cut from the development data exactly as
   ``scripts/article_protocol.py`` cuts them (``draw_faq``, ``sources(..., "dev")``), and each
   is asked its answerable, on-topic unanswerable and off-topic questions through askbot's own
   ``Retriever`` (``AskbotRanker``). ``--eval-seed`` (0) is the protocol's draw, evaluated on;
   ``--train-seeds`` train the cross-encoder; ``--head-seeds`` fit the logistic head and choose
   the threshold. All query texts asked in the evaluation draw are excluded from training and
   head fitting; the remaining query texts are split by a hash into a training part and a
   head part (``--head-share``), so the head is fitted on scores of questions the cross-encoder
   never saw. FAQ entries are shared (the development pools are small): see the printed
   overlap figures.
2. **Pairs.** (question, entry text), entry text = question + " " + answer (clinc150 intents,
   which have no answers: question + their alternates). Label 1: the question's relevant
   entry. Label 0, all from the SAME small FAQ: the entry askbot ranks first among the
   non-relevant ones (what it would answer with the relevant entry left out), one more random
   entry of the FAQ, and, for an on-topic unanswerable question, the entry askbot ranks first
   (exactly the situation to detect).
3. **Training.** ``sentence_transformers.CrossEncoder`` from the packaged folder,
   ``num_labels=1``, ``max_length=128``; a plain torch loop (BCE on the logit, AdamW, linear
   warm-up and decay, one epoch), one thread. Saved to ``--out``.
4. **Evaluation** on the evaluation draw, per source and pooled: AUROC answerable vs on-topic
   unanswerable of askbot's confidence, of the cross-encoder's score of (question, top entry),
   and of a logistic head over [confidence, margin, cross-encoder score] cross-validated by FAQ.
   Then decisions: the head fitted on the head draws, its threshold chosen there (the highest
   keeping answered-right >= ``--min-right``), applied to the evaluation draw as a *gate*
   (decline when the head says so, else askbot's decision) and as a *replacement* of the
   confidence threshold (head decides answer vs decline; askbot's clarify kept).
5. **Seed check** (no tuning): the seed article's reader queries, and "what is the weather in
   Seoul".
6. **Timing** of one (question, entry) pair and of 3 pairs, one thread: torch, ONNX fp32 and
   ONNX int8 (dynamic quantisation) through onnxruntime.

    OMP_NUM_THREADS=1 python scripts/train_answerability.py [--faqs 30] [--eval-seed 0]
        [--train-seeds 1 2 3 4] [--head-seeds 101 102] [--max-pairs 6000]
        [--out /tmp/answerability-ce] [--index-dir /tmp/protocol-index] [--skip-train]
        [--no-onnx] [--allow-eval-queries]

``--allow-eval-queries`` trains on the evaluation draw's question texts too (still not on the
evaluation draw's FAQs as drawn, nor on the head part): a leaky upper bound, for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import StandardScaler

from askbot.config import DEFAULT_MODEL, Settings
from askbot.corpus import load_corpus
from askbot.embed import CachingEmbedder, Embedder
from askbot.embed.models import resolve_model_path
from askbot.evaluate import EvalEntry, EvalQuery, EvalSet
from askbot.evaluate.article_faqs import draw_faq, sources
from askbot.evaluate.askbot_ranker import AskbotRanker
from askbot.index import build_index
from askbot.retrieve import Answer, Retriever
from askbot.service import batch_embedder

sys.path.insert(0, str(Path(__file__).resolve().parent))
from probe_article_calibration import SEED_CORPUS, SEED_QUERIES

REPO = Path(__file__).resolve().parent.parent
WEATHER = "what is the weather in Seoul"
torch.set_num_threads(1)


# --------------------------------------------------------------------------- draws


@dataclass
class Asked:
    """One question asked of one small FAQ, with what askbot did."""

    source: str
    faq: str
    kind: str  # answerable | unanswerable | off_topic
    query: str
    relevant: frozenset[str]
    texts: dict[str, str]  # entry id -> entry text, for the whole small FAQ
    answer: Answer

    @property
    def ranked(self) -> list[str]:
        """Entry ids best first, as the Retriever ranked them."""
        return [i for i, _ in self.answer.candidates]

    @property
    def top(self) -> str:
        return self.ranked[0]

    @property
    def right(self) -> bool:
        return self.top in self.relevant


def entry_text(entry: EvalEntry) -> str:
    """What the cross-encoder reads of an entry: question + answer, or question + alternates."""
    if entry.answer.strip():
        return f"{entry.question} {entry.answer}"
    return " ".join([entry.question, *entry.alternates])


def draw(
    cut: dict[str, EvalSet],
    off_topic: list[EvalQuery],
    embedder: Embedder,
    *,
    faqs: int,
    seed: int,
) -> list[Asked]:
    """Every question of one protocol draw, in ``article_protocol``'s order of draws."""
    rng = random.Random(seed)
    rows: list[Asked] = []
    for name, dataset in cut.items():
        for number in range(faqs):
            chosen, answerable, unanswerable, away = draw_faq(dataset, off_topic, rng)
            if not answerable:
                continue
            retriever = AskbotRanker(chosen, embedder).retriever
            asked = [
                *(("answerable", q) for q in answerable),
                *(("unanswerable", q) for q in unanswerable),
                *(("off_topic", q) for q in away),
            ]
            answers = retriever.ask_many([q.query for _, q in asked])
            texts = {e.id: entry_text(e) for e in chosen}
            for (kind, query), answer in zip(asked, answers, strict=True):
                rows.append(
                    Asked(
                        name,
                        f"s{seed}-{name}-{number}",
                        kind,
                        query.query,
                        frozenset(query.relevant),
                        texts,
                        answer,
                    )
                )
    return rows


def part_of(query: str, head_share: float) -> str:
    """'head' or 'train', fixed by a hash of the query text."""
    return "head" if zlib.crc32(query.encode()) % 1000 < head_share * 1000 else "train"


def training_pairs(
    rows: Sequence[Asked], banned: set[str], head_share: float, rng: random.Random
) -> list[tuple[str, str, float]]:
    """(question, entry text, label) pairs with same-FAQ negatives, hard ones first."""
    pairs: dict[tuple[str, str], float] = {}
    for r in rows:
        if r.query in banned or part_of(r.query, head_share) != "train":
            continue
        if r.kind == "answerable":
            for entry in r.relevant & r.texts.keys():
                pairs[(r.query, r.texts[entry])] = 1.0
            others = [i for i in r.ranked if i not in r.relevant]
            others += [i for i in r.texts if i not in r.relevant and i not in others]
            if others:
                pairs.setdefault((r.query, r.texts[others[0]]), 0.0)  # the hard negative
                if len(others) > 1:
                    pairs.setdefault((r.query, r.texts[rng.choice(others[1:])]), 0.0)
        elif r.kind == "unanswerable":
            pairs.setdefault((r.query, r.texts[r.top]), 0.0)
    return [(q, t, y) for (q, t), y in pairs.items()]


# --------------------------------------------------------------------------- model


def train(
    pairs: list[tuple[str, str, float]],
    out: Path,
    *,
    batch_size: int,
    lr: float,
    warmup: float,
    seed: int,
):
    """Fine-tune a CrossEncoder (num_labels=1) from the packaged MiniLM for one epoch."""
    from sentence_transformers import CrossEncoder

    torch.manual_seed(seed)
    model = CrossEncoder(
        str(resolve_model_path(DEFAULT_MODEL)), num_labels=1, max_length=128, device="cpu"
    )
    net, tokenizer = model.model, model.tokenizer
    net.train()
    order = list(range(len(pairs)))
    random.Random(seed).shuffle(order)
    steps = (len(order) + batch_size - 1) // batch_size
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=0.01)
    warm = max(1, int(warmup * steps))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm)))
    )
    loss_fn = torch.nn.BCEWithLogitsLoss()
    start, running = time.perf_counter(), []
    for step in range(steps):
        batch = [pairs[i] for i in order[step * batch_size : (step + 1) * batch_size]]
        features = tokenizer(
            [q for q, _, _ in batch],
            [t for _, t, _ in batch],
            padding=True,
            truncation="longest_first",
            max_length=128,
            return_tensors="pt",
        )
        logits = net(**features).logits.view(-1)
        loss = loss_fn(logits, torch.tensor([y for _, _, y in batch]))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        running.append(loss.item())
        if (step + 1) % 50 == 0 or step + 1 == steps:
            print(
                f"  step {step + 1}/{steps} loss {np.mean(running[-50:]):.4f} "
                f"({time.perf_counter() - start:.0f}s)",
                flush=True,
            )
    net.eval()
    model.save(str(out))
    return model, time.perf_counter() - start


def load_cross_encoder(path: Path):
    from sentence_transformers import CrossEncoder

    return CrossEncoder(str(path), num_labels=1, max_length=128, device="cpu")


def ce_scores(model, pairs: list[tuple[str, str]]) -> np.ndarray:
    """The cross-encoder's logit for each pair (no sigmoid: a head takes it as it is)."""
    import torch.nn as nn

    return np.asarray(
        model.predict(pairs, batch_size=32, activation_fn=nn.Identity(), show_progress_bar=False),
        dtype=np.float64,
    )


# --------------------------------------------------------------------------- evaluation


def features(rows: Sequence[Asked], model) -> np.ndarray:
    """[confidence, margin, cross-encoder score of (question, top entry)] per row."""
    scores = ce_scores(model, [(r.query, r.texts[r.top]) for r in rows])
    return np.array(
        [[r.answer.confidence, r.answer.margin, s] for r, s in zip(rows, scores, strict=True)]
    )


def fit_head(matrix: np.ndarray, labels: np.ndarray):
    scaler = StandardScaler().fit(matrix)
    head = LogisticRegression(C=1.0, max_iter=1000).fit(scaler.transform(matrix), labels)
    return lambda m: head.predict_proba(scaler.transform(m))[:, 1]


def auroc_table(rows: Sequence[Asked], matrix: np.ndarray) -> str:
    """AUROC answerable vs on-topic unanswerable: confidence, CE score, CV head."""
    keep = np.array([r.kind != "off_topic" for r in rows])
    rows = [r for r, k in zip(rows, keep, strict=True) if k]
    x = matrix[keep]
    y = np.array([r.kind == "answerable" for r in rows], dtype=int)
    groups = np.array([r.faq for r in rows])
    src = np.array([r.source for r in rows])
    cv = np.zeros(len(rows))
    for fit, test in GroupKFold(n_splits=5).split(x, y, groups):
        cv[test] = fit_head(x[fit], y[fit])(x[test])
    cv_conf = np.zeros(len(rows))
    for fit, test in GroupKFold(n_splits=5).split(x, y, groups):
        cv_conf[test] = fit_head(x[fit][:, :2], y[fit])(x[test][:, :2])
    names = sorted(set(src))
    lines = [
        "| score | " + " | ".join([*names, "all"]) + " |",
        "|---" * (len(names) + 2) + "|",
    ]
    for label, s in (
        ("(a) askbot confidence", x[:, 0]),
        ("(b) cross-encoder (question, top entry)", x[:, 2]),
        ("    head [confidence, margin] (CV by FAQ)", cv_conf),
        ("(c) head [confidence, margin, cross-encoder] (CV by FAQ)", cv),
    ):
        cells = [f"{roc_auc_score(y[src == n], s[src == n]):.3f}" for n in names]
        cells.append(f"{roc_auc_score(y, s):.3f}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    counts = " ".join(
        f"{n}: {int((y[src == n] == 1).sum())}/{int((y[src == n] == 0).sum())}" for n in names
    )
    return "\n".join(lines) + f"\n\n(answerable/on-topic unanswerable questions: {counts})"


def decide(rows: Sequence[Asked], combined: np.ndarray, threshold: float, mode: str) -> list[str]:
    """Decisions with the combined score: 'today', 'gate' or 'replace'."""
    out = []
    for r, s in zip(rows, combined, strict=True):
        today = r.answer.decision.value
        if mode == "today":
            out.append(today)
        elif s < threshold:
            out.append("fallback")
        elif mode == "gate":
            out.append(today)
        else:  # replace: the head decides answer vs decline; askbot's clarify is kept
            out.append("clarify" if today == "clarify" else "answer")
    return out


def outcome(rows: Sequence[Asked], decisions: Sequence[str]) -> dict[str, float]:
    """The protocol's figures from decisions (a clarify's options are askbot's own)."""
    kinds = np.array([r.kind for r in rows])
    right = np.array([r.right for r in rows])
    d = np.array(decisions)
    a, u, o = kinds == "answerable", kinds == "unanswerable", kinds == "off_topic"
    return {
        "answered right": float(np.mean((d[a] == "answer") & right[a])),
        "clarify": float(np.mean(d[a] == "clarify")),
        "wrong answer": float(np.mean((d[a] == "answer") & ~right[a])),
        "declined unanswerable": float(np.mean(d[u] == "fallback")),
        "declined off-topic": float(np.mean(d[o] == "fallback")),
    }


MODES = ("gate", "replace")


def thresholds_by_mode(
    rows: Sequence[Asked], combined: np.ndarray, min_right: float
) -> dict[str, float]:
    """``choose_threshold`` for each decision mode."""
    return {mode: choose_threshold(rows, combined, mode, min_right) for mode in MODES}


def by_mode(
    rows: Sequence[Asked], combined: np.ndarray, thresholds: dict[str, float], label: str
) -> list[tuple[str, list[str]]]:
    """The labelled decisions of each mode at its threshold (``label`` formats the mode)."""
    return [(label.format(mode), decide(rows, combined, thresholds[mode], mode)) for mode in MODES]


def choose_threshold(
    rows: Sequence[Asked], combined: np.ndarray, mode: str, min_right: float
) -> float:
    """The highest threshold keeping answered-right >= ``min_right`` on these rows."""
    best = -np.inf
    for t in np.unique(np.round(combined, 4)):
        if outcome(rows, decide(rows, combined, t, mode))["answered right"] >= min_right:
            best = max(best, float(t))
    return best


def outcome_table(rows: Sequence[Asked], cells: list[tuple[str, list[str]]]) -> str:
    names = sorted({r.source for r in rows})
    keys = list(outcome(rows, cells[0][1]))
    lines = [
        "| decision | source | " + " | ".join(keys) + " |",
        "|---|---|" + "---|" * len(keys),
    ]
    for label, decisions in cells:
        for name in [*names, "all"]:
            mask = [name == "all" or r.source == name for r in rows]
            sub = [r for r, m in zip(rows, mask, strict=True) if m]
            sd = [d for d, m in zip(decisions, mask, strict=True) if m]
            o = outcome(sub, sd)
            lines.append(f"| {label} | {name} | " + " | ".join(f"{o[k]:.3f}" for k in keys) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- seed


def seed_check(embedder: Embedder, model, head, thresholds: dict[str, float]) -> str:
    """The seed article's reader queries and the weather question, no tuning."""
    corpus = load_corpus(SEED_CORPUS)
    index = build_index(corpus, embedder)
    retriever = Retriever(index, embedder)
    texts = {e.id: f"{e.question} {e.answer}" for e in index.entries}
    question_of = {e.id: e.question for e in index.entries}
    queries = [json.loads(line) for line in SEED_QUERIES.read_text().splitlines() if line]
    asked = [q["query"] for q in queries] + [WEATHER]
    answers = retriever.ask_many(asked)
    tops = [a.candidates[0][0] for a in answers]
    ce = ce_scores(model, [(q, texts[t]) for q, t in zip(asked, tops, strict=True)])
    matrix = np.array([[a.confidence, a.margin, s] for a, s in zip(answers, ce, strict=True)])
    combined = head(matrix)
    answerable = [i for i, q in enumerate(queries) if q["relevant"]]
    unanswerable = [i for i, q in enumerate(queries) if not q["relevant"]]
    lines = [
        "| decision | answered right (answerable) | clarify | declined (unanswerable in set) "
        "| weather: decision | weather conf. | weather CE | weather head |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for mode in ("today", "gate", "replace"):
        t = thresholds.get(mode, -np.inf)
        d = [
            "fallback"
            if mode != "today" and s < t
            else (
                "answer"
                if mode == "replace" and a.decision.value != "clarify"
                else a.decision.value
            )
            for a, s in zip(answers, combined, strict=True)
        ]
        right = sum(
            d[i] == "answer" and question_of[tops[i]] in queries[i]["relevant"] for i in answerable
        )
        clar = sum(d[i] == "clarify" for i in answerable)
        dec = sum(d[i] == "fallback" for i in unanswerable)
        lines.append(
            f"| {mode} | {right}/{len(answerable)} | {clar}/{len(answerable)} "
            f"| {dec}/{len(unanswerable)} | {d[-1]} | {answers[-1].confidence:.2f} "
            f"| {ce[-1]:.2f} | {combined[-1]:.2f} |"
        )
    detail = [
        f"  {'ANS' if i in answerable else 'UNA'} conf {answers[i].confidence:.2f} "
        f"margin {answers[i].margin:.2f} ce {ce[i]:+.2f} head {combined[i]:.2f} "
        f"right {question_of[tops[i]] in queries[i]['relevant'] if i in answerable else '-'} "
        f"| {asked[i]}"
        for i in range(len(queries))
    ]
    return "\n".join(lines) + "\n\nper query:\n" + "\n".join(detail)


# --------------------------------------------------------------------------- timing


def median_ms(fn, runs: int) -> float:
    for _ in range(10):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def timing(model, out: Path, runs: int, onnx: bool) -> str:
    """Median ms of scoring 1 and 3 (question, entry) pairs, tokenisation included."""
    query = "will this be good for trade between them"
    entry = (
        "How will this improved relationship impact regional security and trade? Strengthening"
        " ties between South Korea and Japan is expected to enhance regional security by fostering"
        " closer defense cooperation and intelligence sharing. Economically, increased"
        " collaboration can boost trade, investment, and technological innovation."
    )
    pairs1, pairs3 = [(query, entry)], [(query, entry)] * 3
    tok, net = model.tokenizer, model.model

    def run_torch(pairs):
        with torch.inference_mode():
            f = tok(
                [q for q, _ in pairs],
                [t for _, t in pairs],
                padding=True,
                truncation="longest_first",
                max_length=128,
                return_tensors="pt",
            )
            return net(**f).logits

    lines = ["| runtime (1 thread) | 1 pair ms | 3 pairs ms |", "|---|---|---|"]

    def run_predict(pairs):
        return model.predict(pairs, show_progress_bar=False)

    lines.append(
        f"| CrossEncoder.predict (torch) | {median_ms(lambda: run_predict(pairs1), runs):.2f} "
        f"| {median_ms(lambda: run_predict(pairs3), runs):.2f} |"
    )
    lines.append(
        f"| torch forward + tokenizer | {median_ms(lambda: run_torch(pairs1), runs):.2f} "
        f"| {median_ms(lambda: run_torch(pairs3), runs):.2f} |"
    )
    tokens = tok([query], [entry], truncation="longest_first", max_length=128)
    lines.append(f"\n(pair length: {len(tokens['input_ids'][0])} word pieces)")
    if not onnx:
        return "\n".join(lines)
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32, int8 = out / "onnx" / "model.onnx", out / "onnx" / "model-int8.onnx"
    fp32.parent.mkdir(parents=True, exist_ok=True)
    sample = tok([query], [entry], truncation=True, max_length=128, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["logits"] = {0: "batch"}
    net.eval()
    torch.onnx.export(
        net,
        (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
        str(fp32),
        input_names=names,
        output_names=["logits"],
        dynamic_axes=axes,
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    check = run_torch(pairs3).numpy().ravel()
    exports = (("ONNX fp32 (onnxruntime)", fp32), ("ONNX int8 dynamic (onnxruntime)", int8))
    for label, path in exports:
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

        def run_ort(pairs, session=session):
            f = tok(
                [q for q, _ in pairs],
                [t for _, t in pairs],
                padding=True,
                truncation="longest_first",
                max_length=128,
                return_tensors="np",
            )
            return session.run(None, {n: f[n].astype(np.int64) for n in names})[0]

        diff = float(np.max(np.abs(run_ort(pairs3).ravel() - check)))
        lines.insert(
            -1,
            f"| {label} + tokenizer | {median_ms(lambda: run_ort(pairs1), runs):.2f} "
            f"| {median_ms(lambda: run_ort(pairs3), runs):.2f} | (max |logit - torch| {diff:.3f})",
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--faqs", type=int, default=30, help="small FAQs per source per draw")
    parser.add_argument("--eval-seed", type=int, default=0)
    parser.add_argument("--train-seeds", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--head-seeds", type=int, nargs="+", default=[101, 102])
    parser.add_argument(
        "--head-share",
        type=float,
        default=0.25,
        help="share of (non-evaluation) query texts kept for the head",
    )
    parser.add_argument("--max-pairs", type=int, default=6000)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-5)
    parser.add_argument("--warmup", type=float, default=0.1)
    parser.add_argument("--min-right", type=float, default=0.85)
    parser.add_argument("--out", type=Path, default=Path("/tmp/answerability-ce"))
    parser.add_argument("--skip-train", action="store_true", help="load --out instead")
    parser.add_argument("--backend", default="onnx-int8")
    parser.add_argument("--index-dir", type=Path, help="where askbot's ONNX export is kept")
    parser.add_argument("--timing-runs", type=int, default=300)
    parser.add_argument("--no-onnx", action="store_true", help="time torch only")
    parser.add_argument(
        "--allow-eval-queries",
        action="store_true",
        help="let training pairs use query texts the evaluation draw asks (a leaky upper bound)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="askbot-ce-") as scratch:
        settings = Settings(
            model=DEFAULT_MODEL, backend=args.backend, index_dir=args.index_dir or Path(scratch)
        )
        embedder = CachingEmbedder(batch_embedder(settings), capacity=None)
        cut, off_topic = sources(args.datasets, "dev")
        start = time.perf_counter()
        evaluation = draw(cut, off_topic, embedder, faqs=args.faqs, seed=args.eval_seed)
        trained_rows = [
            r
            for s in args.train_seeds
            for r in draw(cut, off_topic, embedder, faqs=args.faqs, seed=s)
        ]
        head_rows_all = [
            r
            for s in args.head_seeds
            for r in draw(cut, off_topic, embedder, faqs=args.faqs, seed=s)
        ]
        print(f"draws asked in {time.perf_counter() - start:.0f}s")
        banned = {r.query for r in evaluation}
        # Off-topic questions all come from clinc150's dev out-of-scope pool, which the
        # evaluation draw also asks: they are kept for the off-topic figure only (never fitted).
        head_rows = [
            r
            for r in head_rows_all
            if r.kind == "off_topic"
            or (r.query not in banned and part_of(r.query, args.head_share) == "head")
        ]

        # Overlap between what is trained on and what is evaluated.
        print("\noverlap with the evaluation draw (per source):")
        print(
            "| source | eval question texts | in-scope pool | pool share asked in eval "
            "| eval entries seen in training FAQs | training questions (train part) |"
        )
        print("|---|---|---|---|---|---|")
        for name, dataset in cut.items():
            ev = {r.query for r in evaluation if r.source == name and r.kind != "off_topic"}
            pool = {q.query for q in dataset.queries if q.in_scope}
            ev_entries = {i for r in evaluation if r.source == name for i in r.texts}
            tr_entries = {i for r in trained_rows if r.source == name for i in r.texts}
            tr_q = {
                r.query
                for r in trained_rows
                if r.source == name
                and r.kind != "off_topic"
                and r.query not in banned
                and part_of(r.query, args.head_share) == "train"
            }
            print(
                f"| {name} | {len(ev)} | {len(pool)} | {len(ev & pool) / len(pool):.2f} "
                f"| {len(ev_entries & tr_entries)}/{len(ev_entries)} | {len(tr_q)} |"
            )

        if args.skip_train:
            model = load_cross_encoder(args.out)
        else:
            allowed = set() if args.allow_eval_queries else banned
            pairs = training_pairs(trained_rows, allowed, args.head_share, random.Random(0))
            random.Random(1).shuffle(pairs)
            pairs = pairs[: args.max_pairs]
            positives = sum(y for _, _, y in pairs)
            print(f"\ntraining pairs: {len(pairs)} ({positives:.0f} positive)", flush=True)
            model, seconds = train(
                pairs, args.out, batch_size=args.batch_size, lr=args.lr, warmup=args.warmup, seed=0
            )
            print(f"trained in {seconds:.0f}s on 1 thread; saved to {args.out}")

        x_eval = features(evaluation, model)
        print(
            "\n## AUROC answerable vs on-topic unanswerable, evaluation draw "
            f"(seed {args.eval_seed})\n"
        )
        print(auroc_table(evaluation, x_eval))

        x_head = features(head_rows, model)
        keep = np.array([r.kind != "off_topic" for r in head_rows])
        y_head = np.array([r.kind == "answerable" for r in head_rows], dtype=int)
        head = fit_head(x_head[keep], y_head[keep])
        head_conf = fit_head(x_head[keep][:, :2], y_head[keep])
        print(
            f"\nhead draws: seeds {args.head_seeds}, {int(keep.sum())} questions "
            f"({int(y_head[keep].sum())} answerable) not asked in the evaluation draw nor "
            "trained on"
        )
        print(auroc_table(head_rows, x_head))

        combined_head = head(x_head)
        combined_eval = head(x_eval)
        conf_head = head_conf(x_head[:, :2])
        conf_eval = head_conf(x_eval[:, :2])
        thresholds = thresholds_by_mode(head_rows, combined_head, args.min_right)
        conf_thresholds = thresholds_by_mode(head_rows, conf_head, args.min_right)
        print(
            f"\nthresholds chosen on the head draws (answered right >= {args.min_right}): "
            f"head with CE {thresholds}, head without CE {conf_thresholds}"
        )
        print("\n## Decisions on the head draws (where the thresholds were chosen)\n")
        print(
            outcome_table(
                head_rows,
                [
                    ("today", decide(head_rows, combined_head, 0, "today")),
                    *by_mode(head_rows, combined_head, thresholds, "{}, head with CE"),
                ],
            )
        )
        print(f"\n## Decisions on the evaluation draw (seed {args.eval_seed})\n")
        print(
            outcome_table(
                evaluation,
                [
                    ("today", decide(evaluation, combined_eval, 0, "today")),
                    *by_mode(evaluation, conf_eval, conf_thresholds, "{}, head without CE"),
                    *by_mode(evaluation, combined_eval, thresholds, "{}, head with CE"),
                ],
            )
        )
        # What the evaluation draw could give at best: the threshold chosen on it (oracle).
        oracle = thresholds_by_mode(evaluation, combined_eval, args.min_right)
        conf_oracle = thresholds_by_mode(evaluation, conf_eval, args.min_right)
        print(
            f"\noracle (threshold chosen on the evaluation draw itself, for reference "
            f"only): head with CE {oracle}, head without CE {conf_oracle}"
        )
        print(
            outcome_table(
                evaluation,
                [
                    *by_mode(
                        evaluation, conf_eval, conf_oracle, "{}, head without CE, oracle threshold"
                    ),
                    *by_mode(
                        evaluation, combined_eval, oracle, "{}, head with CE, oracle threshold"
                    ),
                ],
            )
        )

        print("\n## Seed article (check only, no tuning)\n")
        print(seed_check(embedder, model, head, thresholds))
        print("\nseed article with the oracle thresholds of the evaluation draw:\n")
        print(seed_check(embedder, model, head, oracle).split("\n\nper query")[0])

    print("\n## Inference time\n")
    print(timing(model, args.out, args.timing_runs, not args.no_onnx))


if __name__ == "__main__":
    main()
