"""Deal insights from meeting notes. Pure: embeddings and the trained heads come in as arguments.

- stage: each discussion sentence is scored by the stage head (trained on the repository's corpus,
  see corpus.py); sentences the head files under a stage with enough confidence vote for it. A
  closed stage (won/lost) is only taken when a rule confirms it too — a wrong "closed" in the CRM
  costs more than a missed one. Too little evidence: no stage (the CRM keeps its own).
- sentiment: the sentiment head over the customer's sentences, P(positive) - P(negative) averaged.
- risks: rules find the topic (budget, competition, security, legal, timeline, technical), the
  sentiment head decides whether the sentence is a worry or just a mention.
- next step: the action item due first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from lammesh.agents.softmax import SoftmaxHead

Embed = Callable[[list[str]], np.ndarray]

STAGE_VOTE_MIN = 0.55
STAGE_EVIDENCE_MIN = 0.6
SENTIMENT_BAND = 0.15
RISK_NEGATIVE_MIN = 0.3

_CLOSED_RULES = {
    "closed_won": re.compile(
        r"\b(?:signed|countersigned|purchase order|we are (?:officially )?a customer|deal is closed|order form)\b", re.I
    ),
    "closed_lost": re.compile(
        r"\b(?:go(?:ing)? with .+ instead|not moving forward|cancel+ed|rejected|will not buy|pulling out|shelved|chose (?!you))",
        re.I,
    ),
}
RISK_TOPICS: dict[str, re.Pattern[str]] = {
    "budget": re.compile(r"\b(?:price|pricing|expensive|costs?|budget|discount|too high|afford)\b", re.I),
    "competition": re.compile(
        r"\b(?:competitors?|another vendor|other vendors?|alternatives?|incumbent|talking to)\b", re.I
    ),
    "security": re.compile(r"\b(?:security|compliance|gdpr|data processing|audit|questionnaire|privacy)\b", re.I),
    "legal": re.compile(r"\b(?:legal|redlines?|liability|master agreement|msa|indemnit\w*)\b", re.I),
    "timeline": re.compile(
        r"\b(?:delay\w*|postpone\w*|timeline|timing|not sure yet|next year|no budget|on hold)\b", re.I
    ),
    "technical": re.compile(r"\b(?:integration|outages?|bugs?|performance|downtime|slow)\b", re.I),
}
_CONCERN = re.compile(
    r"\b(?:still|but|concern\w*|worr\w*|too|not|yet|open item|have to review|redlines?|risk|matters|unless|however)\b",
    re.I,
)


def _customer_lines(notes: dict[str, Any], account_domain: str | None) -> list[dict[str, str]]:
    discussion = notes.get("discussion", [])
    if not account_domain:
        return discussion
    customers = {
        a["name"]
        for a in notes.get("attendees", [])
        if a.get("email") and a["email"].lower().rsplit("@", 1)[-1].endswith(account_domain.lower())
    }
    lines = [d for d in discussion if d["speaker"] in customers]
    return lines or discussion


def infer_stage(texts: list[str], vectors: np.ndarray, head: SoftmaxHead) -> dict[str, Any]:
    if not texts:
        return {"stage": None, "confidence": 0.0, "evidence": ""}
    probs = head.probabilities(vectors)
    votes: dict[str, float] = {}
    best_sentence: dict[str, tuple[float, str]] = {}
    for text, row in zip(texts, probs, strict=True):
        label = head.labels[int(row.argmax())]
        p = float(row.max())
        if label == "none" or p < STAGE_VOTE_MIN:
            continue
        if label in _CLOSED_RULES and not _CLOSED_RULES[label].search(text):
            continue
        votes[label] = votes.get(label, 0.0) + p
        if p > best_sentence.get(label, (0.0, ""))[0]:
            best_sentence[label] = (p, text)
    if not votes:
        return {"stage": None, "confidence": 0.0, "evidence": ""}
    total = sum(votes.values())
    stage = max(votes, key=lambda s: votes[s])
    confidence = votes[stage] / total if total else 0.0
    if best_sentence[stage][0] < STAGE_EVIDENCE_MIN:
        return {"stage": None, "confidence": round(confidence, 3), "evidence": ""}
    return {
        "stage": stage,
        "confidence": round(confidence, 3),
        "evidence": best_sentence[stage][1],
        "votes": {k: round(v, 3) for k, v in votes.items()},
    }


def infer_sentiment(vectors: np.ndarray, head: SoftmaxHead) -> dict[str, Any]:
    if len(vectors) == 0:
        return {"sentiment": "neutral", "score": 0.0}
    probs = head.probabilities(vectors)
    pos, neg = head.labels.index("positive"), head.labels.index("negative")
    score = float((probs[:, pos] - probs[:, neg]).mean())
    label = "positive" if score > SENTIMENT_BAND else "negative" if score < -SENTIMENT_BAND else "neutral"
    return {"sentiment": label, "score": round(score, 3)}


def find_risks(lines: list[dict[str, str]], vectors: np.ndarray, sentiment: SoftmaxHead) -> list[dict[str, str]]:
    if not lines:
        return []
    negative = sentiment.probabilities(vectors)[:, sentiment.labels.index("negative")]
    risks = []
    for line, p_negative in zip(lines, negative, strict=True):
        text = line["text"]
        topics = [name for name, pattern in RISK_TOPICS.items() if pattern.search(text)]
        if not topics:
            continue
        if p_negative < RISK_NEGATIVE_MIN and not _CONCERN.search(text):
            continue  # the topic is mentioned, but not as a worry ("our budget is approved")
        risks.append({"category": topics[0], "evidence": text, "said_by": line["speaker"]})
    return risks


def next_step(notes: dict[str, Any]) -> str:
    items = notes.get("action_items", [])
    if not items:
        return ""
    dated = sorted((i for i in items if i.get("due")), key=lambda i: i["due"])
    item = dated[0] if dated else items[0]
    due = f" (due {item['due']})" if item.get("due") else ""
    return f"{item['owner']}: {item['task']}{due}"


def derive_insights(
    notes: dict[str, Any],
    *,
    embed: Embed,
    stage_head: SoftmaxHead,
    sentiment_head: SoftmaxHead,
    account_domain: str | None = None,
) -> dict[str, Any]:
    discussion = notes.get("discussion", [])
    texts = [d["text"] for d in discussion] + [d["decision"] for d in notes.get("decisions", [])]
    vectors = embed(texts) if texts else np.zeros((0, 1))
    stage = infer_stage(texts, vectors, stage_head)
    customer = _customer_lines(notes, account_domain)
    customer_vectors = embed([c["text"] for c in customer]) if customer else np.zeros((0, 1))
    sentiment = infer_sentiment(customer_vectors, sentiment_head)
    risks = find_risks(customer, customer_vectors, sentiment_head)
    return {
        "stage": stage["stage"],
        "stage_confidence": stage["confidence"],
        "stage_evidence": stage["evidence"],
        "sentiment": sentiment["sentiment"],
        "sentiment_score": sentiment["score"],
        "risks": risks,
        "risk_summary": [f"{r['category']}: {r['evidence']}" for r in risks],
        "next_step": next_step(notes),
    }
