"""PNG figures of an evaluation: a reliability diagram and precision–coverage curves.

Drawn with matplotlib's Agg backend, so no display is needed (servers, CI).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: render to files, never to a window

import matplotlib.pyplot as plt  # after the backend choice
from matplotlib.figure import Figure

from askbot.evaluate.metrics import (
    ECE_BINS,
    Bools,
    Floats,
    expected_calibration_error,
    precision_coverage,
    reliability,
)

# (correct top-1 per query, confidence per query) of one ranker.
Outcomes = tuple[Bools, Floats]


def plot_reliability(curves: Mapping[str, Outcomes], path: Path, *, n_bins: int = ECE_BINS) -> Path:
    """Accuracy against mean confidence per equal-width bin, one line per ranker, to a PNG."""
    fig, ax = plt.subplots(figsize=(5, 5), dpi=120)
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey", label="perfect calibration")
    for name, (correct, confidence) in curves.items():
        prob_pred, prob_true, counts = reliability(correct, confidence, n_bins)
        ece = expected_calibration_error(correct, confidence, n_bins)
        label = f"{name} (ECE {ece:.3f})" if ece is not None else name
        ax.plot(prob_pred, prob_true, marker="o", label=label)
        # Marker area shows how many queries a bin holds: sparse bins are noisy.
        ax.scatter(prob_pred, prob_true, s=20 + 200 * counts / counts.sum(), alpha=0.3)
    ax.set(
        xlim=(0, 1),
        ylim=(0, 1),
        xlabel="confidence (mean per bin)",
        ylabel="share of top-1 answers correct",
        title=f"Reliability ({n_bins} equal-width bins)",
    )
    ax.legend(loc="upper left", fontsize="small")
    return _save(fig, path)


def plot_precision_coverage(curves: Mapping[str, Outcomes], path: Path) -> Path:
    """Precision of the most confident answers against the share of queries answered, to a PNG."""
    fig, ax = plt.subplots(figsize=(6, 4.5), dpi=120)
    for name, (correct, confidence) in curves.items():
        coverage, precision = precision_coverage(correct, confidence)
        ax.plot(coverage, precision, label=name)
    ax.axvline(0.5, linestyle=":", color="grey")
    ax.set(
        xlim=(0, 1),
        ylim=(0, 1.01),
        xlabel="coverage (share of queries answered, most confident first)",
        ylabel="precision (top-1 correct; OOS = wrong)",
        title="Precision–coverage",
    )
    ax.legend(loc="lower left", fontsize="small")
    return _save(fig, path)


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)  # figures otherwise pile up in pyplot's registry
    return path
