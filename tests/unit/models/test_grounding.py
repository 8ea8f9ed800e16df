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
    assert [s.text for s in sentences] == [
        "Hi Ana,",
        "Revenue grew 3.5% in Q3.",
        "Mr. Smith approved it, e.g. the plan!",
        "Done?",
    ]
    assert all(text[s.start : s.end] == s.text for s in sentences)
    assert [is_claim(s.text) for s in sentences] == [False, True, True, False]


def test_facts_are_normalised():
    facts = {
        (f.kind, f.value)
        for f in extract_facts("Acme adds 20 seats at $48,500 (48.5k) on March 3rd, up 10%, mail ana@acme.com")
    }
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


# Found by the frozen evaluation set (evaluation/frozen/grounding/, issue 18).
def test_a_sentence_initial_word_after_a_greeting_is_not_a_name():
    names = {
        f.text
        for f in extract_facts("Hi Ana,\n\nLet me recap. Below is what Priya Natarajan said.")
        if f.kind == "name"
    }
    assert names == {"Ana", "Priya Natarajan"}


def test_names_are_unicode_words_and_german_nouns_are_not_names():
    assert {f.value for f in extract_facts("Hola Rocío y Andrés:") if f.kind == "name"} == {"rocío", "andrés"}
    german = "Ihr Budget liegt bei 210.000 € über drei Jahre. Mein Kollege Stefan Hoffmann meldet sich."
    assert [f.text for f in extract_facts(german) if f.kind == "name"] == ["Kollege Stefan Hoffmann"]


@pytest.mark.parametrize(
    ("claim", "source", "kind"),
    [
        ("thirty-five shelters", "35 shelters", "number"),
        ("one hundred and forty staff", "about 140 staff", "number"),
        ("EUR 54 000 a year", "a ceiling of 54,000 euros", "number"),
        ("58 000 Zähler", "58.000 Zähler", "number"),
        ("4,5 millones de kilos", "4.5 million kilos", "number"),
        ("before 17/11", "avant le 17 novembre", "date"),
        ("bis zum 13.10.2026", "bis zum 13. Oktober", "date"),
        ("by October 14th", "by 14 October", "date"),
        ("call +1 (415) 555-0110", "+1 (415) 555-0110 ext. 42", "phone"),
    ],
)
def test_the_same_fact_written_differently_is_found(claim, source, kind):
    from lammesh.models.grounding import _source_facts, missing_facts

    assert any(f.kind == kind for f in extract_facts(claim))
    assert missing_facts(claim, _source_facts(source)) == []


def test_a_changed_figure_is_still_missing():
    from lammesh.models.grounding import _source_facts, missing_facts

    known = _source_facts("For the renewal we have a ceiling of 54,000 euros per year, quote by 14 October.")
    assert [f.text for f in missing_facts("a ceiling of 45,000 euros", known)] == ["45,000"]
    assert [f.text for f in missing_facts("the quote by 28 October", known)] == ["28 October"]
    assert missing_facts("1.2 million dollars", _source_facts("the grant covers 1.2 million dollars")) == []


def test_a_pleasantry_no_source_resembles_does_not_reach_the_shipped_threshold(encoder):
    checker = GroundingChecker(encoder)
    [report] = checker.check_batch([("Here is where we landed. Feel free to forward this to your team.", SOURCES)])
    assert report.claims and all(c.supported for c in report.claims)
    assert 0.0 < report.score < 0.5


def test_sources_with_bare_dashes_and_cli_flags_are_read_not_crashed_on():
    from lammesh.models.grounding import _source_facts

    known = _source_facts("the fleet team -- see notes; re-run -x, then the follow-up")
    assert (
        {"re", "run", "follow", "up", "-x"} <= known["words"]
        and "--" not in known["words"]
        and "" not in known["words"]
    )
