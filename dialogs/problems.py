"""Problems found in a dialogue tree, located by file and node."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class TreeProblem:
    """One thing wrong with a tree, located as precisely as we can."""

    file: str
    node: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: node '{self.node}': {self.reason}"


class TreeError(Exception):
    """The tree is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: Iterable[TreeProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
