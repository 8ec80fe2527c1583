"""Predict, then run: a learner's guess graded before the cell that shows the answer.

A prediction cell asks a question whose answer the next cell computes, and grades the learner's
guess without giving the answer away::

    my_guess = None  # your prediction: the largest learning rate at which descent still converges
    predict_critical_learning_rate(my_guess)

A :class:`Prediction` never raises (a wrong guess is part of learning, and a notebook run top to
bottom must not stop on it) and never prints the right value: it says right or not, and for a
number whether the truth is larger or smaller, and roughly by how much.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Prediction"]


@dataclass(frozen=True)
class Prediction:
    """A question whose answer ``truth()`` computes; calling it with a guess grades the guess.

    Attributes:
        question: what is asked, in words ("the critical learning rate").
        truth: computes the right answer with the course's own code (a number, or one of ``options``).
        rtol: for a number, how far (relatively) a guess may be and still count as right.
        options: for a choice, the answers allowed; the guess must be one of them (a word in any case,
            with spaces around it or not: "Nesterov" is the option "nesterov").
        after: where the answer is revealed, for the message ("the next cell").
    """

    question: str
    truth: Callable[[], Any]
    rtol: float = 0.2
    options: Sequence[Any] = ()
    after: str = "the next cell"

    def __call__(self, guess: Any) -> bool | None:
        """Print whether ``guess`` is right (True), wrong (False) or not made yet (None); never raises."""
        if guess is None or guess is Ellipsis:
            print(f"Write your prediction of {self.question} in place of None, then run this cell again.")
            return None
        if self.options:
            return self._choice(guess)
        return self._number(guess)

    def _choice(self, guess: Any) -> bool:
        if isinstance(guess, str):  # the option written in another case, or with spaces around it
            guess = next((o for o in self.options if isinstance(o, str) and o.casefold() == guess.strip().casefold()), guess)
        if not any(_same(guess, option) for option in self.options):
            listed = ", ".join(map(repr, self.options))
            print(f"Your prediction {guess!r} is not one of the choices. Choose one of: {listed}.")
            return False
        if _same(guess, self.truth()):
            print(f"✓ Right: {guess!r} is what happens. Run {self.after} to see it, and why.")
            return True
        print(f"✗ Not {guess!r}. Think about it once more, then run {self.after} to see what happens, and why.")
        return False

    def _number(self, guess: Any) -> bool:
        try:
            finite = isinstance(guess, numbers.Real) and not isinstance(guess, bool) and math.isfinite(guess)
        except OverflowError:  # an int too large for a float
            finite = False
        if not finite:
            shown = repr(guess) if len(repr(guess)) < 40 else repr(guess)[:40] + " …"
            print(f"Your prediction of {self.question} should be one finite number, like 0.5; it is {shown}.")
            return False
        guess = float(guess)
        truth = float(self.truth())
        if math.isclose(guess, truth, rel_tol=self.rtol, abs_tol=1e-12):
            how = "exactly right" if self.rtol == 0 else f"within {self.rtol:.0%} of {self.question}"
            print(f"✓ Good prediction: {how}. Run {self.after} to see it.")
            return True
        print(f"✗ Not quite: {self.question} {_how_far(guess, truth)}. Reason it through once more, or run "
              f"{self.after} to see it.")
        return False


def _how_far(guess: float, truth: float) -> str:
    """Which way, and roughly how far, the truth lies from the guess, in words (never the truth itself)."""
    if guess == 0 or truth == 0:
        return f"is {'larger' if truth > guess else 'smaller'} than your guess"
    if (truth > 0) != (guess > 0):
        return "has the other sign"
    bigger = abs(truth) > abs(guess)
    ratio = abs(truth) / abs(guess) if bigger else abs(guess) / abs(truth)
    size = ("a little" if ratio < 1.5 else "up to three times" if ratio < 3 else "several times" if ratio < 10
            else "more than ten times")
    return f"is {size} {'larger' if bigger else 'smaller'} than your guess"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) != isinstance(b, bool):
        return False  # True is not the choice 1
    try:
        return bool(a == b)
    except Exception:  # an array or an odd object: not one of the choices
        return False
