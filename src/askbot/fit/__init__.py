"""What a build learns from the FAQ itself: phrasing classifiers and per-collection calibration."""

from askbot.fit.calibration import (
    ASSUMED_OFF_TOPIC_SHARE,
    calibration_examples,
    choose_margin_cap,
    fit_calibration,
    prior_weights,
)
from askbot.fit.fitting import BUILD_FITTING, fit_index
from askbot.fit.phrasing import can_classify, fit_classifier, fit_classifiers
from askbot.fit.self_calibration import fit_collection, self_calibrations

__all__ = [
    "ASSUMED_OFF_TOPIC_SHARE",
    "BUILD_FITTING",
    "calibration_examples",
    "can_classify",
    "choose_margin_cap",
    "fit_calibration",
    "fit_classifier",
    "fit_classifiers",
    "fit_collection",
    "fit_index",
    "prior_weights",
    "self_calibrations",
]
