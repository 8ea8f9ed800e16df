"""The insights agent on the sample meetings: stage, sentiment, risks and next step."""

from __future__ import annotations

import numpy as np

from lammesh.agents.softmax import accuracy, fit_softmax
from lammesh_services.agents.insights.corpus import STAGE_TEMPLATES, make_corpus, split_by_template


def test_stage_follows_what_the_customer_asked_for(insights_of):
    assert insights_of("01")["stage"] == "proposal"
    assert "proposal" in insights_of("01")["stage_evidence"]
    assert insights_of("02")["stage"] == "negotiation"
    assert insights_of("03")["stage"] == "discovery"
    assert insights_of("04")["stage"] == "prospecting"


def test_sentiment_is_positive_after_a_good_pilot_and_not_after_price_objections(insights_of):
    assert insights_of("01")["sentiment"] == "positive"
    assert insights_of("02")["sentiment"] in {"neutral", "negative"}
    assert insights_of("02")["sentiment_score"] < insights_of("01")["sentiment_score"]


def test_risks_name_the_topic_and_quote_the_customer(insights_of):
    categories = {r["category"] for r in insights_of("02")["risks"]}
    assert {"budget", "legal", "competition"} <= categories
    assert all(r["said_by"] in {"Hank Scorpio", "Mia Chen"} for r in insights_of("02")["risks"])
    acme = insights_of("01")["risks"]
    assert [r["category"] for r in acme] == ["security"]  # "our budget is approved" is not a risk


def test_next_step_is_the_action_item_due_first(insights_of):
    assert (
        insights_of("01")["next_step"] == "Li Wei: send Sam Reed the security questionnaire by Friday (due 2026-11-20)"
    )


def test_corpus_split_keeps_templates_apart():
    train, test = split_by_template(make_corpus(STAGE_TEMPLATES))
    assert {e.template for e in train}.isdisjoint({e.template for e in test})
    assert {e.label for e in test} == set(STAGE_TEMPLATES)


def test_softmax_head_learns_a_separable_problem():
    rng = np.random.default_rng(0)
    centres = np.eye(3, 8) * 3
    labels = [str(i % 3) for i in range(300)]
    x = np.stack([centres[int(label)] + rng.normal(0, 0.5, 8) for label in labels])
    head = fit_softmax(x, labels)
    assert accuracy(head, x, labels) > 0.97
