import numpy as np
import pytest

from lammesh.models.injection.detector import STACK_FEATURES, InjectionHead
from lammesh.models.injection.linear import LogisticModel
from lammesh.violet.patch import LabelledWindows, patched, refit_head, training_rows, write_patch

DIM = 16
RNG = np.random.default_rng(0)
ATTACK_DIRECTION = np.eye(DIM)[0]


def texts(count, should_flag, centre, windows=3, spread=0.3):
    return [LabelledWindows(centre + spread * RNG.standard_normal((windows, DIM)), should_flag) for _ in range(count)]


PARENT = LogisticModel((3.0 * ATTACK_DIRECTION).astype(np.float32), -1.0)
TRIGGER_DENSE_BENIGN = 0.9 * ATTACK_DIRECTION + 1.5 * np.eye(DIM)[1]


def test_rows_keep_every_benign_window_and_the_strongest_attack_window():
    attack = LabelledWindows(np.stack([np.zeros(DIM), ATTACK_DIRECTION]), True)
    benign = LabelledWindows(np.zeros((2, DIM)), False)
    rows, labels = training_rows(PARENT, [attack, benign])
    assert labels.tolist() == [1, 0, 0]
    assert np.array_equal(rows[0], ATTACK_DIRECTION)


def test_the_refit_head_passes_the_benign_case_and_keeps_the_attacks():
    case_variants = texts(12, False, TRIGGER_DENSE_BENIGN)
    anchors = texts(40, True, 1.2 * ATTACK_DIRECTION) + texts(40, False, np.zeros(DIM))
    unseen_variants = texts(6, False, TRIGGER_DENSE_BENIGN)
    unseen_attacks = texts(20, True, 1.2 * ATTACK_DIRECTION)
    assert all(PARENT.logits(t.embeddings).max() > 0 for t in unseen_variants)  # the parent's mistake
    head = refit_head(PARENT, case_variants, anchors)
    assert all(head.logits(t.embeddings).max() < 0 for t in unseen_variants)
    assert all(head.logits(t.embeddings).max() > 0 for t in unseen_attacks)
    assert np.linalg.norm(head.weights - PARENT.weights) < np.linalg.norm(PARENT.weights) * 3


def test_the_patch_is_a_head_file_the_normal_loader_reads(tmp_path):
    parent = InjectionHead(
        PARENT, LogisticModel(np.ones(len(STACK_FEATURES), np.float32), 0.0), STACK_FEATURES, 128, 64, "e" * 64
    )
    new_head = LogisticModel(np.full(DIM, 0.5, np.float32), 0.25)
    files = write_patch(tmp_path / "patch", patched(parent, new_head), {"gate.new_cases.candidate_accuracy": 1.0})
    loaded = InjectionHead.load(tmp_path / "patch" / "head.npz")
    assert np.array_equal(loaded.head.weights, new_head.weights) and loaded.stacker.bias == 0.0
    assert loaded.encoder_sha256 == "e" * 64 and loaded.operating_points == parent.operating_points
    assert sum(f.stat().st_size for f in files) < 64 * 1024


def test_the_codebook_passes_known_benign_texts_only_when_every_window_is_known():
    from lammesh.violet.patch import codebook_for

    known = np.eye(DIM)[1][None, :]
    book = codebook_for([LabelledWindows(known, False)], radius=0.95)
    assert book.apply(known, 0.9) == 0.1
    assert book.apply(np.stack([np.eye(DIM)[1], ATTACK_DIRECTION]), 0.9) == 0.9  # an attack added to it
    assert book.apply(ATTACK_DIRECTION[None, :], 0.9) == 0.9
    flag = codebook_for([LabelledWindows(ATTACK_DIRECTION[None, :], True)], previous=book)
    assert flag.apply(np.stack([np.zeros(DIM) + 0.01, ATTACK_DIRECTION]), 0.2) == 0.95


def test_a_codebook_round_trips_through_the_head_file(tmp_path):
    from lammesh.violet.patch import codebook_for

    parent = InjectionHead(
        PARENT, LogisticModel(np.ones(len(STACK_FEATURES), np.float32), 0.0), STACK_FEATURES, 128, 64, "e" * 64
    )
    book = codebook_for([LabelledWindows(np.eye(DIM)[:2], False)])
    patched(parent, codebook=book).save(tmp_path / "head.npz")
    loaded = InjectionHead.load(tmp_path / "head.npz")
    assert np.array_equal(loaded.codebook.keys, book.keys) and np.array_equal(loaded.codebook.radii, book.radii)
    assert InjectionHead.load(tmp_path / "head.npz").head.bias == PARENT.bias


def toward(direction: np.ndarray, other: np.ndarray, cosine: float) -> np.ndarray:
    """A unit vector at `cosine` from unit `direction`, turned toward the orthogonal unit `other`."""
    return cosine * direction + np.sqrt(1 - cosine**2) * other


def test_a_pass_key_stops_a_margin_short_of_the_nearest_known_attack():
    from lammesh.violet.patch import codebook_for

    benign = np.eye(DIM)[1]
    attack = toward(benign, np.eye(DIM)[2], 0.93)  # a known attack close to the benign case
    book = codebook_for(
        [LabelledWindows(benign[None, :], False)],
        known=[LabelledWindows(attack[None, :], True)],
        radius=0.9,
        margin=0.05,
    )
    assert book.radii.tolist() == [pytest.approx(0.98)]
    assert book.apply(attack[None, :], 0.9) == 0.9  # the known attack is not passed
    assert book.apply(toward(benign, np.eye(DIM)[3], 0.96)[None, :], 0.9) == 0.9  # nor anything as far
    assert book.apply(toward(benign, np.eye(DIM)[3], 0.99)[None, :], 0.9) == 0.1  # a near copy of the case is


def test_a_key_that_would_reach_a_known_opposite_text_at_any_radius_is_left_out():
    from lammesh.violet.patch import codebook_for

    benign = np.stack([np.eye(DIM)[1], np.eye(DIM)[4]])
    attack = toward(np.eye(DIM)[1], np.eye(DIM)[2], 0.97)
    book = codebook_for([LabelledWindows(benign, False)], known=[LabelledWindows(attack[None, :], True)], margin=0.05)
    assert np.allclose(book.keys, np.eye(DIM)[4][None, :])  # the first key would need a radius over 1
    flag_book = codebook_for(
        [LabelledWindows(ATTACK_DIRECTION[None, :], True)],
        known=[LabelledWindows(np.eye(DIM)[1][None, :], False)],
        margin=0.05,
    )
    assert flag_book.radii.tolist() == [pytest.approx(0.94)]  # benign texts far away: the base radius


def test_the_parents_keys_are_kept_clear_of_texts_known_since():
    from lammesh.violet.patch import codebook_for

    benign = np.eye(DIM)[1]
    first = codebook_for([LabelledWindows(benign[None, :], False)], radius=0.9)
    confirmed_attack = toward(benign, np.eye(DIM)[2], 0.92)  # reported later as a confirmed attack
    assert first.apply(confirmed_attack[None, :], 0.9) == 0.1
    second = codebook_for(
        [LabelledWindows(ATTACK_DIRECTION[None, :], True)],
        previous=first,
        radius=0.9,
        known=[LabelledWindows(confirmed_attack[None, :], True)],
        margin=0.05,
    )
    assert second.apply(confirmed_attack[None, :], 0.9) == 0.9
    assert second.apply(benign[None, :], 0.9) == 0.1


def test_a_head_file_with_one_radius_for_every_key_still_loads():
    from lammesh.models.injection.detector import Codebook

    book = Codebook.from_arrays(
        {"codebook_keys": np.eye(DIM)[:3], "codebook_scores": np.full(3, 0.1), "codebook_radius": np.float64(0.96)}
    )
    assert book.radii.tolist() == [0.96, 0.96, 0.96]


def test_a_codebook_needs_one_radius_per_key():
    from lammesh.models.injection.detector import Codebook

    with pytest.raises(ValueError, match="one score and one radius per key"):
        Codebook(np.eye(DIM)[:3], np.full(3, 0.1), np.full(2, 0.9))
