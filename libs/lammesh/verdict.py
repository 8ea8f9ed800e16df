"""The one definition of a check's Stage and a watcher's Verdict, shared by the watchers, the saga
and the read side.

Pure: no I/O. Their values are the names ("INPUT", "ALLOW", …), which is what saga state and
events store; `proto` is the number in lammesh.v1 (CheckStage, Verdict); `label` is the lower-case
name params, feedback cases and metric labels use. A Verdict's order is severity, so `max()` of
verdicts is the strictest.
"""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """Which side of a step is checked."""

    UNSPECIFIED = "UNSPECIFIED"
    INPUT = "INPUT"
    OUTPUT = "OUTPUT"

    @property
    def proto(self) -> int:
        """The number of CHECK_STAGE_<name> in lammesh.v1.CheckStage."""
        return _STAGE_ORDER.index(self)

    @property
    def label(self) -> str:
        return self.value.lower()

    @classmethod
    def from_proto(cls, number: int) -> Stage:
        if not 0 <= number < len(_STAGE_ORDER):
            raise ValueError(f"unknown check stage number {number}")
        return _STAGE_ORDER[number]

    @classmethod
    def _missing_(cls, value: object) -> Stage | None:
        """'input' / 'Output': the lower-case label is accepted wherever a Stage is read."""
        if isinstance(value, str):
            return cls.__members__.get(value.strip().upper())
        return None


class Verdict(StrEnum):
    ALLOW = "ALLOW"
    REVIEW = "REVIEW"
    BLOCK = "BLOCK"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]

    @property
    def proto(self) -> int:
        """The number of VERDICT_<name> in lammesh.v1.Verdict."""
        return _SEVERITY[self] + 1

    @property
    def label(self) -> str:
        """Lower case, as params and metric labels name it."""
        return self.value.lower()

    @classmethod
    def from_proto(cls, number: int) -> Verdict:
        if not 1 <= number <= len(_ORDER):
            raise ValueError(f"unknown verdict number {number}; 1 (ALLOW), 2 (REVIEW) or 3 (BLOCK)")
        return _ORDER[number - 1]

    @classmethod
    def parse(cls, value: str | int | Verdict) -> Verdict:
        """'allow' / 'REVIEW' / 'VERDICT_BLOCK' / 3 -> Verdict."""
        if isinstance(value, Verdict):
            return value
        if isinstance(value, int):
            return cls.from_proto(value)
        name = value.strip().upper().removeprefix("VERDICT_")
        try:
            return cls[name]
        except KeyError:
            raise ValueError(f"unknown verdict {value!r}; use allow, review or block") from None

    # str's own comparisons would order the names alphabetically (BLOCK < REVIEW).
    def __lt__(self, other: object) -> bool:
        return self.severity < _as_verdict(other).severity

    def __le__(self, other: object) -> bool:
        return self.severity <= _as_verdict(other).severity

    def __gt__(self, other: object) -> bool:
        return self.severity > _as_verdict(other).severity

    def __ge__(self, other: object) -> bool:
        return self.severity >= _as_verdict(other).severity


def _as_verdict(other: object) -> Verdict:
    if isinstance(other, Verdict):
        return other
    raise TypeError(f"a Verdict compares only with a Verdict, not {type(other).__name__}")


_ORDER = (Verdict.ALLOW, Verdict.REVIEW, Verdict.BLOCK)
_SEVERITY = {v: i for i, v in enumerate(_ORDER)}
_STAGE_ORDER = (Stage.UNSPECIFIED, Stage.INPUT, Stage.OUTPUT)
