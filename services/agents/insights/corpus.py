"""The training data of the insights heads, made by the repository: sentences a customer or a
seller says in a sales meeting, from templates with slot fillers, labelled by deal stage (or
`none` for sentences that say nothing about the stage) and by sentiment.

Held-out evaluation is split by TEMPLATE, not by sentence: the test sentences are phrased in ways
the head never saw, so the accuracy says something about new wording, not memorised templates.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

SLOTS = {
    "product": [
        "the platform",
        "your analytics suite",
        "the dashboards",
        "the forecasting module",
        "the data warehouse",
        "your tool",
    ],
    "area": [
        "reporting",
        "inventory planning",
        "fleet analytics",
        "customer data",
        "financial forecasting",
        "supply chain visibility",
    ],
    "competitor": ["another vendor", "a competitor", "Tableau", "an in-house build", "their incumbent supplier"],
    "n": ["20", "40", "150", "five", "ten", "300"],
    "pct": ["10", "15", "20", "25"],
    "years": ["two", "three", "five"],
    "pain": ["slow month-end reporting", "manual spreadsheets", "stock-outs", "missing data lineage", "late invoices"],
    "team": ["security team", "legal team", "procurement", "the CFO", "the board", "IT"],
    "date": ["Friday", "next week", "the end of the month", "December 3", "Q1"],
}

STAGE_TEMPLATES: dict[str, list[str]] = {
    "prospecting": [
        "We are just starting to look at options for {area}.",
        "Honestly we are not sure yet whether we need {product}.",
        "This is an early conversation, we have no project for {area} yet.",
        "I saw your talk and wanted to learn what you do.",
        "We might look at {area} tools sometime next year.",
        "Nobody owns {area} on our side at the moment.",
        "We have no budget or timeline for this yet.",
        "I am mostly curious about what is out there for {area}.",
    ],
    "discovery": [
        "Our main pain point today is {pain}.",
        "Can you walk us through how {product} handles {area}?",
        "We are still collecting requirements from the {team}.",
        "Today our analysts spend days on {pain}.",
        "What would an integration with our systems look like?",
        "We want to understand whether {product} fits our {area} process.",
        "Let us map out the current workflow for {area} first.",
        "The biggest problem for us is {pain}.",
    ],
    "evaluation": [
        "The pilot with {n} users went well.",
        "We are running a trial of {product} with the {team}.",
        "Our technical team is comparing {product} with {competitor}.",
        "The proof of concept showed the results we hoped for.",
        "We have been testing {product} in one region for a month.",
        "The evaluation is going well and the users like it.",
        "We want to extend the trial to {n} more users before deciding.",
        "The pilot results on {area} look promising.",
    ],
    "proposal": [
        "We need a formal proposal with pricing for {n} sites.",
        "Please send us a quote for {n} seats.",
        "We are ready to see pricing for the full rollout.",
        "Put together a proposal and we will take it to the {team}.",
        "Can you send the commercial offer by {date}?",
        "We would like a proposal for the rollout of {product}.",
        "Send us your pricing options and we will review them.",
        "A written proposal would help us get internal approval.",
    ],
    "negotiation": [
        "We would need a {pct}% discount on a {years}-year contract.",
        "Our {team} has redlines on the master agreement.",
        "The price is too high, can you do better on the terms?",
        "We are negotiating the liability clause with your legal team.",
        "If you include onboarding for free we can sign a {years}-year deal.",
        "Procurement wants to discuss payment terms before signing.",
        "We reviewed the proposal and want to adjust the pricing.",
        "Can we agree on a cap for the annual price increase?",
    ],
    "closed_won": [
        "We signed the contract this morning.",
        "The {team} approved the deal, we are good to go.",
        "The purchase order for {product} has been issued.",
        "Let us schedule the kickoff, the agreement is signed.",
        "We have chosen {product} and signed the order form.",
        "Contract countersigned, welcome aboard.",
        "We are officially a customer now, let us start onboarding.",
        "The deal is closed and the invoice can go out.",
    ],
    "closed_lost": [
        "We decided to go with {competitor} instead.",
        "We are not moving forward with {product} this year.",
        "The project for {area} has been cancelled.",
        "The board rejected the budget, so we have to stop here.",
        "We chose {competitor} because it was cheaper.",
        "Unfortunately we will not buy {product}.",
        "We are pulling out of the evaluation for good.",
        "Our {area} initiative was shelved, there will be no purchase.",
    ],
    "none": [
        "Thanks for making the time today.",
        "Let me share my screen.",
        "Can everyone hear me?",
        "The weather in Boston has been great this week.",
        "I joined the company two years ago.",
        "Sorry, I was on mute.",
        "Our office moved to a new building last month.",
        "I will be on holiday over Christmas.",
        "The slides are in the shared folder.",
        "We have a hard stop in ten minutes.",
    ],
}

SENTIMENT_TEMPLATES: dict[str, list[str]] = {
    "positive": [
        "We are impressed with {product}.",
        "The results on {area} exceeded our expectations.",
        "The team loves the dashboards.",
        "This was faster than we expected.",
        "We are very happy with the pilot.",
        "That solves our problem with {pain}.",
        "Great work, the users are excited.",
        "It fits what the team needs.",
        "It cut {pain} noticeably.",
        "The integration was smooth and painless.",
    ],
    "negative": [
        "The price is too high for us.",
        "We are worried about {pain}.",
        "Honestly we were disappointed by the last release.",
        "The integration was painful and took far too long.",
        "I am concerned that the {team} will block this.",
        "This does not solve our problem with {pain}.",
        "We had several outages during the trial.",
        "The users found {product} confusing.",
        "We are frustrated with the slow support.",
        "That is a serious risk for us.",
    ],
    "neutral": [
        "We have {n} sites in three countries.",
        "The meeting is scheduled for {date}.",
        "Our fiscal year starts in April.",
        "The {team} reviews every new vendor.",
        "We use spreadsheets for {area} today.",
        "I will send the document by {date}.",
        "Let us schedule a call with the {team}.",
        "The data is stored in our warehouse.",
        "We need pricing for {n} seats.",
        "Can you walk us through {area}?",
    ],
}


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    template: str


def expand(template: str, rng: random.Random, count: int) -> list[str]:
    names = [name for name in SLOTS if "{" + name + "}" in template]
    if not names:
        return [template]
    combos = list(itertools.product(*(SLOTS[n] for n in names)))
    rng.shuffle(combos)
    return [template.format(**dict(zip(names, combo, strict=True))) for combo in combos[:count]]


def make_corpus(templates: dict[str, list[str]], *, seed: int = 7, per_template: int = 8) -> list[Example]:
    rng = random.Random(seed)
    examples = []
    for label, items in templates.items():
        for template in items:
            examples.extend(Example(text, label, template) for text in expand(template, rng, per_template))
    return examples


def split_by_template(
    examples: list[Example], *, test_share: float = 0.25, seed: int = 11
) -> tuple[list[Example], list[Example]]:
    """Per label, a quarter of its templates (at least one) go to the test set with every sentence made from them."""
    rng = random.Random(seed)
    by_label: dict[str, list[str]] = {}
    for e in examples:
        by_label.setdefault(e.label, [])
        if e.template not in by_label[e.label]:
            by_label[e.label].append(e.template)
    held_out: set[str] = set()
    for templates in by_label.values():
        chosen = templates[:]
        rng.shuffle(chosen)
        held_out.update(chosen[: max(1, round(len(chosen) * test_share))])
    train = [e for e in examples if e.template not in held_out]
    test = [e for e in examples if e.template in held_out]
    return train, test
