"""The simulated Rason 2023 scenario: synthetic vessels, NMEA feeds and ground truth.

Everything it writes is SIMULATED (see :mod:`harborwatch.scenario.story` for the storyline and
:mod:`harborwatch.scenario.simulate` for transmission and reception).
"""

from harborwatch.scenario.config import Scenario
from harborwatch.scenario.simulate import Result, simulate

__all__ = ["Result", "Scenario", "simulate"]
