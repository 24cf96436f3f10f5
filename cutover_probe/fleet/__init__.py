"""A simulated OpenAgents fleet: staging and prod control and runtime services, and Google Cloud.

The probes are real aiohttp clients, so they are tested against real HTTP servers
that behave as the reference doc says the production services do, with switches to
break them one way at a time. The Google lanes use Google's client libraries, so the
fleet also serves the Cloud Run, Cloud Logging and Cloud Storage REST APIs they call.
Used by ``cutover-probe demo`` and the test suite; never by a probe run against real
services.
"""

from .common import RecordedRequest
from .faults import (
    SCENARIOS,
    ControlFaults,
    FleetSpec,
    GoogleFaults,
    GoogleWorld,
    RuntimeFaults,
    Scenario,
)
from .redirect_target import REDIRECT_TARGET_URL
from .server import GOOGLE_EMULATOR_VARIABLES, Fleet, FleetThread, serve_fleet

__all__ = [
    "GOOGLE_EMULATOR_VARIABLES",
    "REDIRECT_TARGET_URL",
    "SCENARIOS",
    "ControlFaults",
    "Fleet",
    "FleetSpec",
    "FleetThread",
    "GoogleFaults",
    "GoogleWorld",
    "RecordedRequest",
    "RuntimeFaults",
    "Scenario",
    "serve_fleet",
]
