"""The tree of things that can go wrong, and what each becomes for the user.

    UsageError            exit 2: bad flags, a bad config file, a bad environment value
    ├── ConfigError       names the file, the key, and what is wrong
    └── EnvironmentError_ names the variable and what is wrong
    ReportIncomplete      exit 4: the run finished, but an artifact could not be written
    CheckFailed           one check's failure; the message is the report's reason column
    ├── ProbeTimeout      a request got no answer in time (a check's own deadline is
    │                     reported by the scheduler as "deadline exceeded")
    ├── ConnectFailed     refused, reset, DNS, TLS: the network said no
    └── AssertionFailed   the service answered, but not what the matrix demands

A `CheckFailed` never escapes its check: the scheduler turns it (and any other exception) into
that check's failed `Outcome`. Only `UsageError` reaches the CLI boundary, before any probe runs.
"""

from __future__ import annotations


class UsageError(Exception):
    """Bad input from the user: exit 2 with this message, before any probe runs."""


class ConfigError(UsageError):
    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        where = f"{source}: {key}" if key else source
        super().__init__(f"{where}: {problem}")


class EnvironmentError_(UsageError):
    def __init__(self, variable: str, problem: str) -> None:
        self.variable = variable
        super().__init__(f"environment variable {variable}: {problem}")


class ReportIncomplete(Exception):
    """After probing: some artifacts were written, these were not. Exit 4, each named."""

    def __init__(self, failed: list[tuple[str, str]]) -> None:
        self.failed = failed
        super().__init__("; ".join(f"{artifact}: {why}" for artifact, why in failed))


class CheckFailed(Exception):
    """A check's failure; ``str(exc)`` is the one-line reason a user reads."""


class ProbeTimeout(CheckFailed):
    pass


class ConnectFailed(CheckFailed):
    pass


class AssertionFailed(CheckFailed):
    pass
