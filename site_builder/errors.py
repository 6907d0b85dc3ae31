"""Problems found in user input, and the exceptions that carry them.

Every problem a user can fix is a :class:`Problem` with a place
(``path:line: message``). Code that finds problems collects them and raises
one exception with all of them, so a user sees every mistake at once::

    SiteBuilderError            any failure the CLI reports without a traceback
    └── ProblemsError           one or more located Problems in user input
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(Enum):
    """How bad a problem is: errors stop a build, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One located mistake in user input."""

    path: str
    line: int | None
    message: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        prefix = "warning: " if self.severity is Severity.WARNING else ""
        return f"{where}: {prefix}{self.message}"


class SiteBuilderError(Exception):
    """A failure the CLI reports as a message, never as a traceback."""


class ProblemsError(SiteBuilderError):
    """One or more problems in user input, reported together."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.path, p.line or 0))
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[type[ProblemsError], tuple[list[Problem]]]:
        """Pickle with the problems themselves (a build worker sends them to the parent)."""
        return (ProblemsError, (self.problems,))


def errors_only(problems: list[Problem]) -> list[Problem]:
    """Return the problems that are errors, not warnings."""
    return [p for p in problems if p.severity is Severity.ERROR]
