"""Speaker-tagged meeting transcripts: `Name: text`, `Name (Company): text`, `[00:01:02] Name: text`.

Lines without a tag continue the previous speaker's turn. Text is split into sentences that keep
their speaker and their character span in the transcript."""

from __future__ import annotations

import re
from dataclasses import dataclass

_TAG = re.compile(
    r"^\s*(?:\[(?P<time>[0-9:]{4,8})\]\s*)?"
    r"(?P<speaker>[A-Z][\w'.-]*(?:\s+[A-Z][\w'.-]*){0,3})"
    r"(?:\s*\((?P<company>[^)]{1,60})\))?\s*:\s+(?P<text>\S.*)$"
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")


@dataclass(frozen=True)
class Turn:
    speaker: str
    company: str
    text: str
    start: int
    """Offset of `text` in the transcript."""


@dataclass(frozen=True)
class Utterance:
    speaker: str
    company: str
    text: str
    start: int
    end: int
    turn: int


class TranscriptError(ValueError):
    pass


def parse_turns(transcript: str) -> list[Turn]:
    turns: list[Turn] = []
    offset = 0
    for line in transcript.splitlines(keepends=True):
        stripped = line.rstrip("\r\n")
        match = _TAG.match(stripped)
        if match:
            text = match.group("text").rstrip()
            turns.append(
                Turn(
                    match.group("speaker").strip(),
                    (match.group("company") or "").strip(),
                    text,
                    offset + match.start("text"),
                )
            )
        elif stripped.strip() and turns:
            last = turns[-1]
            # continuation line: keep offsets of the first line; the text joins with a space
            turns[-1] = Turn(last.speaker, last.company, f"{last.text} {stripped.strip()}", last.start)
        offset += len(line)
    if not turns:
        raise TranscriptError("no speaker-tagged line found (expected lines like 'Ana Lopez: ...')")
    return turns


def utterances(transcript: str) -> list[Utterance]:
    """Every sentence of every turn, with its speaker."""
    out: list[Utterance] = []
    for index, turn in enumerate(parse_turns(transcript)):
        position = 0
        for piece in _SENTENCE_END.split(turn.text):
            piece = piece.strip()
            if not piece:
                continue
            found = turn.text.find(piece, position)
            position = found + len(piece) if found >= 0 else position
            start = turn.start + max(found, 0)
            out.append(Utterance(turn.speaker, turn.company, piece, start, start + len(piece), index))
    return out


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
