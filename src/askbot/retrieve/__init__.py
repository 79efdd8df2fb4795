"""From a question to an ``Answer`` with a calibrated confidence and a decision."""

from askbot.index import SMALL_FAQ_ENTRIES
from askbot.retrieve.answer import Alternative, Answer, Match
from askbot.retrieve.calibration import (
    Calibration,
    Logistic,
    calibration_from_dict,
    calibration_to_dict,
    collection_calibrations,
    default_calibration,
    model_calibrations,
)
from askbot.retrieve.decision import Decision, DecisionPolicy
from askbot.retrieve.retriever import Retriever, Scoring, lexical_document

__all__ = [
    "SMALL_FAQ_ENTRIES",
    "Alternative",
    "Answer",
    "Calibration",
    "Decision",
    "DecisionPolicy",
    "Logistic",
    "Match",
    "Retriever",
    "Scoring",
    "calibration_from_dict",
    "calibration_to_dict",
    "collection_calibrations",
    "default_calibration",
    "lexical_document",
    "model_calibrations",
]
