"""Claims (course_lib.ui.claims): the numbers the prose quotes, asserted against the run."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib.ui.claims import ClaimFailed, claim


@pytest.mark.parametrize(("value", "kwargs"), [
    (0.0121, {"near": 0.012}), (np.float64(0.0121), {"near": 0.012}), (torch.tensor(3.0), {"near": 3.0}),
    (np.array(5.0), {"within": (4, 6)}), (7, {"equals": 7}), ("diverged", {"equals": "diverged"}),
    (np.array([1, 2]), {"equals": np.array([1, 2])}), (1e-5, {"near": 0.0, "atol": 1e-4}),
])
def test_a_claim_that_holds_is_silent(value, kwargs, capsys):
    claim("the text's number", value, **kwargs)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(("value", "kwargs", "needs"), [
    (0.02, {"near": 0.012}, "0.012 (± 5%)"), (7.0, {"within": (4, 6)}, "between 4 and 6"),
    (8, {"equals": 7}, "7"), ("oops", {"near": 1.0}, "a number"), (np.array([1, 3]), {"equals": np.array([1, 2])}, "array"),
    (float("nan"), {"within": (0, 1)}, "between"),
])
def test_a_claim_that_fails_names_the_sentence_and_says_whose_mistake_it_is(value, kwargs, needs):
    with pytest.raises(ClaimFailed) as err:
        claim("the loss falls to 0.012", value, **kwargs)
    message = str(err.value)
    assert "the loss falls to 0.012" in message and needs in message and "not yours" in message


@pytest.mark.parametrize("kwargs", [{}, {"near": 1.0, "within": (0, 2)}])
def test_a_claim_needs_exactly_one_kind_of_expectation(kwargs):
    with pytest.raises(TypeError, match="exactly one of"):
        claim("x", 1.0, **kwargs)
