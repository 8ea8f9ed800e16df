"""The numpy logistic regression and the metrics the model card reports."""

from __future__ import annotations

import numpy as np

from lammesh.models.injection.linear import (
    classification_report,
    expected_calibration_error,
    fit_logistic,
    recall_at_fpr,
    roc_auc,
)


def test_roc_auc_known_values():
    assert roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert roc_auc(np.array([0, 0, 1, 1]), np.array([0.9, 0.8, 0.2, 0.1])) == 0.0
    assert roc_auc(np.array([0, 1, 0, 1]), np.array([0.5, 0.5, 0.5, 0.5])) == 0.5
    assert abs(roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.6, 0.4, 0.9])) - 0.75) < 1e-9


def test_recall_at_fpr_respects_the_false_positive_budget():
    labels = np.array([0] * 100 + [1] * 10)
    scores = np.concatenate([np.linspace(0, 0.5, 100), np.linspace(0.45, 1.0, 10)])
    recall, threshold = recall_at_fpr(labels, scores, 0.01)
    flagged_negatives = (scores[:100] > threshold).sum()
    assert flagged_negatives <= 1
    assert recall == (scores[100:] > threshold).mean() and recall >= 0.8


def test_report_counts():
    report = classification_report(np.array([1, 1, 0, 0]), np.array([0.9, 0.2, 0.7, 0.1]), 0.5)
    assert (report["tp"], report["fn"], report["fp"], report["tn"]) == (1, 1, 1, 1)
    assert report["precision"] == report["recall"] == report["f1"] == 0.5


def test_logistic_regression_learns_a_separable_problem_and_is_calibrated():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 5))
    truth = 1 / (1 + np.exp(-(2 * x[:, 0] - x[:, 1])))
    y = (rng.random(2000) < truth).astype(float)
    model = fit_logistic(x, y, l2=1e-4, epochs=800, balanced=False)
    assert model.weights[0] > 1.2 and model.weights[1] < -0.5 and abs(model.weights[2]) < 0.3
    assert roc_auc(y, model.probabilities(x)) > 0.8
    assert expected_calibration_error(y, model.probabilities(x)) < 0.05


def test_lower_bounds_keep_a_weight_from_going_negative():
    rng = np.random.default_rng(3)
    signal = rng.normal(size=400)
    labels = (signal > 0).astype(float)
    # the second feature is anti-correlated with the label: unconstrained, it gets a negative weight
    features = np.stack([signal, -labels + 0.1 * rng.normal(size=400)], axis=1)
    free = fit_logistic(features, labels, epochs=400)
    bounded = fit_logistic(features, labels, epochs=400, lower_bounds=np.array([-np.inf, 0.0]))
    assert free.weights[1] < -0.5
    assert bounded.weights[1] >= 0.0 and bounded.weights[0] > 0.5
