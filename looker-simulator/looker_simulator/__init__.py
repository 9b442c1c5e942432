"""A stdlib-only Looker API 4.0 simulator for testing System Activity extractors."""

from .client import SimulatorClient, SimulatorError
from .simulator import DEFAULT_NOW, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, LookerSimulator

__version__ = "0.1.0"
__all__ = [
    "DEFAULT_NOW",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "LookerSimulator",
    "SimulatorClient",
    "SimulatorError",
]
