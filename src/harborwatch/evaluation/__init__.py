"""Evaluation in one place: events against a scenario's ground truth (:mod:`.events`), radar
detections and dark-vessel classes against the simulated scenes (:mod:`.radar`), and detections
against labelled SAR chips with the one tuning / test split rule (:mod:`.chips`), and new structures
found in radar stacks against the scenario's polygons (:mod:`.structures`), and the sampling floor
of calls per week: what an oracle sampling presence at the scene times would report (:mod:`.floor`)."""

from harborwatch.evaluation.estimates import evaluate_estimates
from harborwatch.evaluation.events import TOLERANCES, evaluate, read_table
from harborwatch.evaluation.floor import sampling_floor
from harborwatch.evaluation.radar import evaluate_radar
from harborwatch.evaluation.structures import evaluate_structures

__all__ = ["TOLERANCES", "evaluate", "evaluate_estimates", "evaluate_radar", "evaluate_structures", "read_table",
           "sampling_floor"]
