"""Evaluation in one place: events against a scenario's ground truth (:mod:`.events`), radar
detections and dark-vessel classes against the simulated scenes (:mod:`.radar`), and detections
against labelled SAR chips with the one tuning / test split rule (:mod:`.chips`)."""

from harborwatch.evaluation.estimates import evaluate_estimates
from harborwatch.evaluation.events import TOLERANCES, evaluate, read_table
from harborwatch.evaluation.radar import evaluate_radar

__all__ = ["TOLERANCES", "evaluate", "evaluate_estimates", "evaluate_radar", "read_table"]
