"""Lesson 11, section 4 (beyond accuracy): the checks' named wrong answers, the predictions, the library code
of beyond.py and the threshold explorer, and the numbers the prose quotes, for the notebook's seed and two more."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.lessons.l11_is_it_really_better.beyond import (
    POSITIVE_DIGIT, binary_counts, digit_classifier, is_digit, plot_class_scores, plot_threshold_view, share_of_digit,
    threshold_curves, threshold_figure, threshold_scores)
from course_lib.lessons.l11_is_it_really_better.checks import (
    THRESHOLD_OPTIONS, average_cases, check_macro_and_micro_f1, check_per_class_scores, choose_threshold_move,
    predict_always_no_accuracy, score_cases)
from course_lib.lessons.l11_is_it_really_better.explorers import threshold_explorer
from course_lib.metrics import accuracy, confusion_matrix, precision_recall_f1, roc_auc


def _safe(top, bottom):
    return np.divide(top, bottom, out=np.zeros(len(top)), where=bottom > 0)


def per_class_scores(cm):
    tp = np.diag(cm)
    precision, recall = _safe(tp, cm.sum(axis=0)), _safe(tp, cm.sum(axis=1))
    return precision, recall, _safe(2 * precision * recall, precision + recall)


def macro_and_micro_f1(cm):
    return float(per_class_scores(cm)[2].mean()), float(np.trace(cm) / cm.sum())


# ---- exercise 1: per_class_scores ----------------------------------------------------------------


def test_rows_and_columns_swapped_is_named(assert_teaches):
    assert_teaches(check_per_class_scores, per_class_scores, lambda cm: per_class_scores(cm.T),
                   "precision and recall are swapped")


def test_f1_as_the_arithmetic_mean_is_named(assert_teaches):
    def arithmetic(cm):
        p, r, _ = per_class_scores(cm)
        return p, r, (p + r) / 2
    assert_teaches(check_per_class_scores, per_class_scores, arithmetic, "arithmetic mean")


def test_nan_for_a_class_never_predicted_is_named(assert_teaches):
    def unsafe(cm):
        tp = np.diag(cm)
        p, r = tp / cm.sum(axis=0), tp / cm.sum(axis=1)
        return p, r, 2 * p * r / (p + r)
    assert_teaches(check_per_class_scores, per_class_scores, unsafe, "never predicted")


def test_nan_f1_only_is_named_too(assert_teaches):
    def nan_f1(cm):
        p, r, _ = per_class_scores(cm)
        return p, r, 2 * p * r / (p + r)
    assert_teaches(check_per_class_scores, per_class_scores, nan_f1, "never predicted")


def test_a_crash_on_a_class_never_predicted_is_named(assert_teaches):
    def in_a_loop(cm):
        p, r, f = [], [], []
        for c in range(len(cm)):
            tp = int(cm[c, c])
            p.append(tp / int(cm[:, c].sum()))
            r.append(tp / int(cm[c, :].sum()))
            f.append(2 * p[-1] * r[-1] / (p[-1] + r[-1]))
        return np.array(p), np.array(r), np.array(f)
    assert_teaches(check_per_class_scores, per_class_scores, in_a_loop, "never predicted", expected=False)


def test_the_cases_have_a_class_never_predicted_and_one_with_no_example():
    cases = score_cases()
    assert any((cm.sum(axis=0) == 0).any() for cm in cases) and any((cm.sum(axis=1) == 0).any() for cm in cases)
    for cm in cases:  # swapping rows and columns changes the answer on every case
        assert not np.allclose(precision_recall_f1(cm)[0], precision_recall_f1(cm.T)[0])


# ---- exercise 2: macro_and_micro_f1 --------------------------------------------------------------


def test_macro_and_micro_swapped_is_named(assert_teaches):
    assert_teaches(check_macro_and_micro_f1, macro_and_micro_f1, lambda cm: macro_and_micro_f1(cm)[::-1],
                   "macro and micro are swapped")


def test_macro_weighted_by_support_is_named(assert_teaches):
    def weighted(cm):
        f1 = per_class_scores(cm)[2]
        return float(np.average(f1, weights=cm.sum(axis=1))), float(np.trace(cm) / cm.sum())
    assert_teaches(check_macro_and_micro_f1, macro_and_micro_f1, weighted, "support")


def test_macro_as_the_harmonic_mean_of_macro_precision_and_recall_is_named(assert_teaches):
    def harmonic(cm):
        p, r, _ = per_class_scores(cm)
        return float(2 * p.mean() * r.mean() / (p.mean() + r.mean())), float(np.trace(cm) / cm.sum())
    assert_teaches(check_macro_and_micro_f1, macro_and_micro_f1, harmonic, "harmonic mean of the macro precision")


def test_a_nan_macro_is_named(assert_teaches):
    def unsafe(cm):
        tp = np.diag(cm)
        p, r = tp / cm.sum(axis=0), tp / cm.sum(axis=1)
        return float(np.mean(2 * p * r / (p + r))), float(np.trace(cm) / cm.sum())
    assert_teaches(check_macro_and_micro_f1, macro_and_micro_f1, unsafe, "never predicted")


def test_a_macro_that_skips_a_class_never_predicted_is_named(assert_teaches):
    def skips(cm):
        tp = np.diag(cm)
        with np.errstate(invalid="ignore", divide="ignore"):
            p, r = tp / cm.sum(axis=0), tp / cm.sum(axis=1)
            return float(np.nanmean(2 * p * r / (p + r))), float(np.trace(cm) / cm.sum())
    assert_teaches(check_macro_and_micro_f1, macro_and_micro_f1, skips, "leaves out a class that is never predicted")


def test_the_average_cases_tell_each_named_mistake_from_the_macro_f1():
    for cm in average_cases():
        macro, micro, weighted = (precision_recall_f1(cm, a)[2] for a in ("macro", "micro", "weighted"))
        mp, mr, _ = precision_recall_f1(cm, "macro")
        assert min(abs(macro - micro), abs(macro - weighted), abs(macro - 2 * mp * mr / (mp + mr))) > 1e-3


# ---- the predictions -------------------------------------------------------------------------------


def test_the_predictions_truths(capsys):
    assert predict_always_no_accuracy.truth() == pytest.approx(0.9108)
    assert predict_always_no_accuracy(0.91) is True and predict_always_no_accuracy(0.5) is False
    assert choose_threshold_move.truth() == "precision rises, recall falls" and choose_threshold_move.truth() in THRESHOLD_OPTIONS
    assert "0.91" not in capsys.readouterr().out


# ---- beyond.py ------------------------------------------------------------------------------------


def test_is_digit_binary_counts_and_threshold_scores_by_hand():
    probs = np.array([[0.9, 0.1], [0.3, 0.7], [0.6, 0.4], [0.2, 0.8]])
    labels, scores = is_digit(probs, np.array([0, 1, 1, 0]), 1)
    np.testing.assert_array_equal(labels, [0, 1, 1, 0])
    np.testing.assert_allclose(scores, [0.1, 0.7, 0.4, 0.8])
    np.testing.assert_array_equal(binary_counts(labels, scores, 0.5), [[1, 1], [1, 1]])
    assert threshold_scores(labels, scores, 0.5) == pytest.approx(
        {"accuracy": 0.5, "precision": 0.5, "recall": 0.5, "f1": 0.5, "fpr": 0.5})
    assert threshold_scores(labels, scores, 0.0)["recall"] == 1.0  # everything flagged
    nothing = threshold_scores(labels, scores, 1.5)
    assert nothing["recall"] == 0.0 and nothing["precision"] == 0.0 and nothing["fpr"] == 0.0
    with pytest.raises(ValueError, match="class in 0..C-1"):
        is_digit(probs, np.array([0, 1, 1, 0]), 2)
    with pytest.raises(ValueError, match="real number"):
        binary_counts(labels, scores, float("nan"))


def test_the_curves_hold_the_scores_of_every_threshold(rng):
    labels = (rng.random(300) < 0.2).astype(int)
    scores = np.round(np.clip(0.3 * labels + rng.random(300) * 0.7, 0, 1), 2)
    curves = threshold_curves(labels, scores)
    assert curves.auc == pytest.approx(roc_auc(labels, scores))
    for k in (1, 10, len(curves.thresholds) // 2, len(curves.thresholds) - 1):
        at = threshold_scores(labels, scores, float(curves.thresholds[k]))
        assert (at["fpr"], at["recall"], at["precision"]) == pytest.approx(
            (curves.fpr[k], curves.tpr[k], curves.precision[k]))


def test_the_classifier_is_kept_and_handed_out_as_copies():
    probs, y = digit_classifier(seed=0)
    probs[:] = 0
    again, _ = digit_classifier(seed=0)
    assert again.shape == (10_000, 10) and np.allclose(again.sum(axis=1), 1) and y.shape == (10_000,)
    with pytest.raises(ValueError, match="n_train"):
        digit_classifier(n_train=0)
    with pytest.raises(ValueError, match="lr"):
        digit_classifier(lr=-1.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_what_the_prose_says_holds_for_three_seeds(seed):
    probs, y = digit_classifier(seed=seed)
    predicted = probs.argmax(axis=1)
    cm = confusion_matrix(y, predicted)
    _, _, f1 = precision_recall_f1(cm)
    p, r, _ = precision_recall_f1(cm)
    assert 0.90 <= accuracy(predicted, y) <= 0.94
    assert f1.min() < 0.9 and f1.max() > 0.95 and np.abs(p - r).max() > 0.03
    assert abs(precision_recall_f1(cm, "macro")[2] - precision_recall_f1(cm, "micro")[2]) < 0.005
    labels, scores = is_digit(probs, y, POSITIVE_DIGIT)
    ours = threshold_scores(labels, scores, 0.5)
    assert 0.97 <= ours["accuracy"] <= 0.99 and 0.8 <= ours["recall"] <= 0.95 and 0.8 <= ours["precision"] <= 0.95
    assert ours["fpr"] < 0.02 and 1 - ours["precision"] > 0.05
    steps = [threshold_scores(labels, scores, t) for t in (0.1, 0.5, 0.9)]
    assert steps[0]["precision"] < steps[1]["precision"] < steps[2]["precision"]
    assert steps[0]["recall"] > steps[1]["recall"] > steps[2]["recall"]
    assert 0.98 <= roc_auc(labels, scores) <= 0.999


def test_the_share_of_fives():
    assert share_of_digit(5) == pytest.approx(0.0892) and share_of_digit(1) == pytest.approx(0.1135)


def test_the_plots_draw_what_they_are_given():
    fig, axes = threshold_figure()
    labels, scores = np.array([0, 0, 1, 1, 0, 1]), np.array([0.1, 0.6, 0.7, 0.3, 0.2, 0.9])
    at = plot_threshold_view(axes, labels, scores, 0.5)
    assert set(axes) == {"scores", "counts", "bars", "roc", "pr"} and at == threshold_scores(labels, scores, 0.5)
    assert [t.get_text() for t in axes["counts"].texts] == ["TN\n2", "FP\n1", "FN\n1", "TP\n2"]
    ax = plot_class_scores([0.9, 0.8], [0.7, 0.95], [0.79, 0.87], ax=fig.add_subplot(3, 3, 9))
    assert len(ax.patches) == 6 and ax.get_title()


# ---- the threshold explorer --------------------------------------------------------------------------


def _probs(rng, n=200):
    probs = rng.dirichlet(np.full(10, 0.3), size=n)
    return probs, np.where(rng.random(n) < 0.8, probs.argmax(axis=1), rng.integers(0, 10, n))


def test_the_explorer_moves_every_panel_with_the_threshold(rng):
    probs, y = _probs(rng)
    explorer = threshold_explorer(probs, y, digit=3)
    counts = explorer.figure.axes[1]
    before = [t.get_text() for t in counts.texts]
    explorer.controls["threshold"].value = 0.9
    after = [t.get_text() for t in counts.texts]
    labels, scores = is_digit(probs, y, 3)
    cm = binary_counts(labels, scores, 0.9)
    assert before != after and after == [f"{n}\n{c}" for n, c in zip(("TN", "FP", "FN", "TP"), cm.ravel())]


@pytest.mark.parametrize(("kwargs", "words"), [({"digit": 10}, "class in 0..C-1"), ({"threshold": 1.5}, "in \\[0, 1\\]")])
def test_the_explorer_refuses_a_digit_or_threshold_out_of_range(rng, kwargs, words):
    with pytest.raises(ValueError, match=words):
        threshold_explorer(*_probs(rng), **kwargs)


def _panel_state(axes):
    """What a learner reads on the five panels: titles, labels, texts, legends, the data of every artist."""
    state = {}
    for name, ax in axes.items():
        legend = ax.get_legend()
        state[name] = (
            ax.get_title(), ax.get_xlabel(), [t.get_text() for t in ax.get_xticklabels()],
            [t.get_text() for t in ax.get_yticklabels()], [(t.get_text(), t.get_position()) for t in ax.texts],
            [t.get_text() for t in legend.get_texts()] if legend else [],
            [line.get_xydata().tolist() for line in ax.lines], [p.get_height() for p in ax.patches if hasattr(p, "get_height")],
            [p.get_data().values.tolist() for p in ax.patches if hasattr(p, "get_data")],
            [im.get_array().tolist() for im in ax.images], np.round(ax.get_ylim(), 6).tolist(),
        )
    return state


def test_the_explorer_changes_its_panels_in_place_into_the_picture_drawn_afresh(rng):
    probs, y = _probs(rng)
    explorer = threshold_explorer(probs, y, digit=3)
    for digit, tau in [(3, 0.2), (8, 0.2), (8, 0.75), (1, 0.4)]:
        explorer.controls["digit"].value, explorer.controls["threshold"].value = digit, tau
        _, fresh = threshold_figure()
        plot_threshold_view(fresh, *is_digit(probs, y, digit), tau, digit=digit)
        moved = dict(zip(("scores", "counts", "bars", "roc", "pr"), explorer.figure.axes))
        assert _panel_state(moved) == _panel_state(fresh)
    labels, scores = is_digit(probs, y, 1)
    legends = [[t.get_text() for t in ax.get_legend().get_texts()] for ax in (moved["scores"], moved["roc"], moved["pr"])]
    assert legends[0] == [f"not a 1 ({(labels == 0).sum()})", f"a 1 ({labels.sum()})", "threshold τ = 0.40"]
    assert legends[1][1:] == ["a coin toss", "τ = 0.40"] and legends[2][1:] == [f"share of 1s ({labels.mean():.3f})", "τ = 0.40"]
    tallest = max(np.histogram(scores[labels == k], bins=np.linspace(0, 1, 41))[0].max() for k in (0, 1))
    assert moved["scores"].get_ylim()[1] >= tallest  # the log axis follows the new histograms
