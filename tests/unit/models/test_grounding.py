"""Grounding: sentence splitting and fact extraction (pure), and the checker with the encoder."""

from __future__ import annotations

import pytest

from lammesh.models.grounding import GroundingChecker, extract_facts, is_claim, split_sentences

SOURCES = """Priya: Acme is happy with the pilot and wants to expand to two more teams.
Sam: The budget is around $48,500, pending approval from finance.
Priya: We agreed to a 10% discount if they sign before March 3rd.
Sam: Legal needs to review the data processing agreement.
Priya: Ana Lopez from procurement will join the next call on Tuesday."""


def test_sentences_keep_their_offsets_and_ignore_abbreviations_and_decimals():
    text = "Hi Ana,\nRevenue grew 3.5% in Q3. Mr. Smith approved it, e.g. the plan! Done?"
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == ["Hi Ana,", "Revenue grew 3.5% in Q3.", "Mr. Smith approved it, e.g. the plan!", "Done?"]
    assert all(text[s.start : s.end] == s.text for s in sentences)
    assert [is_claim(s.text) for s in sentences] == [False, True, True, False]


def test_facts_are_normalised():
    facts = {(f.kind, f.value) for f in extract_facts("Acme adds 20 seats at $48,500 (48.5k) on March 3rd, up 10%, mail ana@acme.com")}
    assert ("number", "48500") in facts and ("number", "20") in facts and ("number", "10%") in facts
    assert ("date", "3 march") in facts and ("email", "ana@acme.com") in facts
    assert ("name", "acme") not in facts  # first word of the sentence
    assert ("number", "48500") in {(f.kind, f.value) for f in extract_facts("the budget is 48.5k")}
    assert ("number", "2") in {(f.kind, f.value) for f in extract_facts("to two more teams")}


def test_supported_paraphrases_pass_and_invented_facts_are_caught(encoder):
    checker = GroundingChecker(encoder)
    output = (
        "Hi Ana,\nThanks for your time today. Acme wants to expand the pilot to 2 more teams. "
        "The budget is about $48,500, subject to finance approval. "
        "We agreed to a 25% discount if you sign before March 3rd. "
        "Our CEO John will visit your Berlin office in June. "
        "Legal will review the DPA.\nBest regards, Sam"
    )
    (report,) = checker.check_batch([(output, SOURCES)])
    verdicts = {c.sentence.text: c for c in report.claims}
    assert verdicts["Acme wants to expand the pilot to 2 more teams."].supported
    assert verdicts["The budget is about $48,500, subject to finance approval."].supported
    discount = verdicts["We agreed to a 25% discount if you sign before March 3rd."]
    assert not discount.supported and [f.text for f in discount.missing] == ["25%"]
    assert output[discount.missing[0].start : discount.missing[0].end] == "25%"
    visit = verdicts["Our CEO John will visit your Berlin office in June."]
    assert not visit.supported and {"June", "Berlin"} <= {f.text for f in visit.missing}
    assert "Hi Ana," not in verdicts and not any(t.startswith("Thanks") for t in verdicts)
    assert report.score >= 0.9


def test_a_fully_grounded_summary_scores_low(encoder):
    checker = GroundingChecker(encoder)
    output = "Acme wants to add two more teams to the pilot. Legal must review the data processing agreement. Ana Lopez joins the call on Tuesday."
    (report,) = checker.check_batch([(output, SOURCES)])
    assert report.claims and not report.unsupported
    assert report.score < 0.5
    (again,) = checker.check_batch([(output, SOURCES)])  # source embeddings now from the cache
    # (INT8: the claims are now embedded without the sources as batch-mates, hence approx)
    assert [c.similarity for c in again.claims] == pytest.approx([c.similarity for c in report.claims], abs=0.01)
    assert not again.unsupported


def test_no_sources_means_nothing_is_supported(encoder):
    (report,) = GroundingChecker(encoder).check_batch([("The deal closed at $1.2M last week.", "")])
    assert report.unsupported and report.score > 0.5
