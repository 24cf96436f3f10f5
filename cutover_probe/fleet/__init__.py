"""A simulated OpenAgents fleet: staging and prod control and runtime services.

The probes are real aiohttp clients, so they are tested against real HTTP servers
that behave as the reference doc says the production services do, with switches to
break them one way at a time. Used by ``cutover-probe demo`` and the test suite;
never by a probe run against real services.
"""

from .common import RecordedRequest
from .faults import SCENARIOS, ControlFaults, FleetSpec, RuntimeFaults, Scenario
from .server import Fleet, FleetThread, serve_fleet

__all__ = [
    "SCENARIOS",
    "ControlFaults",
    "Fleet",
    "FleetSpec",
    "FleetThread",
    "RecordedRequest",
    "RuntimeFaults",
    "Scenario",
    "serve_fleet",
]
