"""Confidence: a calibrated probability that the top entry is the right answer.

Each packaged model's default calibration is package data (``calibrations.json``), written by
``scripts/fit_calibration.py``; a collection may carry its own, fitted at build time
(``askbot.fit.self_calibration``) and stored in the index manifest.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

from askbot.index import SMALL_FAQ_ENTRIES, FaqIndex

CALIBRATIONS_FILE = "calibrations.json"  # package data: each packaged model's default


@dataclass(frozen=True, slots=True)
class Logistic:
    """A logistic model's log-odds of (top score, margin over the runner-up)."""

    intercept: float
    score_weight: float
    margin_weight: float

    def log_odds(self, score: float, margin: float) -> float:
        """The model's log-odds for a top score and its (capped) margin."""
        return self.intercept + self.score_weight * score + self.margin_weight * margin


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def _log_odds(share: float) -> float:
    return math.log((1 - share) / share)


@dataclass(frozen=True, slots=True)
class Calibration:
    """Map from (top score, margin over runner-up) to P(top entry is right), in two parts:

    P(right) = P(question in scope) × P(top entry right | question in scope),

    each a logistic model of the same two features. Apart, the first can follow the traffic:
    how likely a question is to be off-topic depends on who asks (readers of a news article
    ask anything; a support bot's users mostly ask about the product). ``off_topic_share``
    states the share of off-topic questions the traffic has, and the in-scope odds move from
    the share the calibration was fitted under (``fitted_off_topic_share``) to it, by Bayes'
    rule; at 0 the confidence is P(right | in scope). Left ``None``, the fitted share holds.

    ``small_faq`` is the same two parts fitted on article-sized FAQs (``SMALL_FAQ_ENTRIES``),
    which such a collection reads instead (``for_size``). A margin's size depends on how many
    entries compete: a six-entry FAQ gives a question about nothing in it a margin a 700-entry
    FAQ gives only to a clear match, so a fit on large FAQs trusts a small FAQ's margins too
    much.
    """

    in_scope: Logistic
    right_if_in_scope: Logistic
    fitted_off_topic_share: float
    off_topic_share: float | None = None
    # Margins above this count as this; off by default, since a cap pushed single-keyword
    # questions ("trade", "China") into fallback.
    margin_cap: float = math.inf
    small_faq: Calibration | None = None

    def __post_init__(self) -> None:
        if not 0 < self.fitted_off_topic_share < 1:
            raise ValueError("fitted_off_topic_share must be between 0 and 1 (exclusive)")
        if self.off_topic_share is not None and not 0 <= self.off_topic_share < 1:
            raise ValueError("off_topic_share must be at least 0 and less than 1")

    def probability(self, score: float, margin: float) -> float:
        """P(correct) for a top score and its margin over the next entry."""
        margin = min(margin, self.margin_cap)
        right = _sigmoid(self.right_if_in_scope.log_odds(score, margin))
        if self.off_topic_share == 0:
            return right
        in_scope = self.in_scope.log_odds(score, margin)
        if self.off_topic_share is not None:  # prior shift (Saerens et al. 2002)
            in_scope += _log_odds(self.off_topic_share) - _log_odds(self.fitted_off_topic_share)
        return _sigmoid(in_scope) * right

    def for_size(self, entries: int) -> Calibration:
        """This calibration as a collection of ``entries`` entries uses it."""
        if self.small_faq is None or entries > SMALL_FAQ_ENTRIES:
            return self
        return self.small_faq.for_traffic(self.off_topic_share)

    def for_traffic(self, off_topic_share: float | None) -> Calibration:
        """This calibration for traffic with ``off_topic_share`` off-topic questions (``None``:
        as fitted)."""
        if off_topic_share == self.off_topic_share:
            return self
        return replace(self, off_topic_share=off_topic_share)


@cache
def model_calibrations() -> dict[str, Calibration]:
    """Each packaged model's default calibration, by model name; the first is the fallback.

    A model's scores have their own scale, so each has its own default, fitted by
    ``scripts/fit_calibration.py --model NAME --write`` on development data only.
    """
    text = resources.files("askbot.retrieve").joinpath(CALIBRATIONS_FILE).read_text("utf-8")
    return {name: calibration_from_dict(stored) for name, stored in json.loads(text).items()}


def default_calibration(model_id: str) -> Calibration:
    """The default ``Calibration`` for an embedder's ``model_id`` (``name@fingerprint…``).

    A model ``askbot tune`` made from a listed one (named ``<name>-<hash>``) gets its base's;
    any other model gets the first listed (all-MiniLM-L6-v2's).
    """
    name = model_id.split("@", 1)[0]
    known = model_calibrations()
    for family, calibration in known.items():
        if name == family or name.startswith(f"{family}-"):
            return calibration
    return next(iter(known.values()))


def collection_calibrations(index: FaqIndex) -> dict[str, Calibration]:
    """The calibrations the index's collections fitted on their own alternates at build time."""
    return {
        collection: calibration_from_dict(stored)
        for collection, stored in index.manifest.calibrations.items()
    }


def calibration_to_dict(calibration: Calibration) -> dict[str, Any]:
    """A fitted calibration as the index manifest and ``calibrations.json`` store it
    (``calibration_from_dict``)."""
    stored = {
        "in_scope": asdict(calibration.in_scope),
        "right_if_in_scope": asdict(calibration.right_if_in_scope),
        "fitted_off_topic_share": calibration.fitted_off_topic_share,
    }
    if calibration.small_faq is not None:
        stored["small_faq"] = calibration_to_dict(calibration.small_faq)
    return stored


def calibration_from_dict(stored: dict[str, Any]) -> Calibration:
    """The calibration ``calibration_to_dict`` stored."""
    small = stored.get("small_faq")
    return Calibration(
        in_scope=Logistic(**stored["in_scope"]),
        right_if_in_scope=Logistic(**stored["right_if_in_scope"]),
        fitted_off_topic_share=stored["fitted_off_topic_share"],
        small_faq=calibration_from_dict(small) if small is not None else None,
    )
