"""What every training recipe of the course shares: frozen settings, changed by copy, printed aligned.

A recipe is a frozen dataclass holding every setting of one training run (lesson 07's
:class:`course_lib.lessons.l07_mnist_from_scratch.mnist_mlp.Recipe`, lesson 08's :class:`course_lib.lessons.l08_mnist_with_pytorch.mnist_cnn.CNNRecipe`).
They inherit :class:`FrozenRecipe` for :meth:`~FrozenRecipe.replace`, :meth:`~FrozenRecipe.describe`
and :meth:`~FrozenRecipe.check_fields`, which validates every field against a rule such as
``whole(1)`` ("a whole number >= 1"), ``real(0, above=True)`` ("a number > 0") or ``one_of(...)``,
and reports all the problems in one ValueError.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

__all__ = ["SEED", "FrozenRecipe", "Rule", "is_real", "is_whole", "one_of", "real", "whole"]

R = TypeVar("R", bound="FrozenRecipe")

#: A field's rule: a test its value must pass, and what it must be, as in "lr must be <that>".
Rule = tuple[Callable[[Any], bool], str]


def is_whole(value: Any) -> bool:
    """True for a Python or NumPy integer; False for bools, floats and everything else."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def is_real(value: Any) -> bool:
    """True for a finite real number (int, float, NumPy scalar); False for bools, NaN and infinities."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and bool(np.isfinite(value))


def whole(low: int = 1, high: int | None = None) -> Rule:
    """A whole number >= ``low`` and, when ``high`` is given, < ``high``."""
    text = f"a whole number >= {low}" if high is None else f"a whole number in [{low}, {high})"
    return (lambda v: is_whole(v) and v >= low and (high is None or v < high)), text


def real(low: float = 0.0, high: float | None = None, *, above: bool = False, text: str | None = None) -> Rule:
    """A finite number >= ``low`` (> ``low`` with ``above``) and, when ``high`` is given, < ``high``."""
    if text is None:
        text = (f"a number {'>' if above else '>='} {low:g}" if high is None
                else f"a number in {'(' if above else '['}{low:g}, {high:g})")
    return (lambda v: is_real(v) and (v > low if above else v >= low) and (high is None or v < high)), text


def one_of(options: Iterable[Any]) -> Rule:
    """One of ``options`` (listed in the message in the order given)."""
    options = list(options)
    return (lambda v: v in options), f"one of {options}"


#: A seed for np.random.default_rng and torch.manual_seed alike.
SEED: Rule = (lambda v: is_whole(v) and 0 <= v < 2**32), "a whole number in [0, 2**32)"


class FrozenRecipe:
    """Mixin for a ``@dataclass(frozen=True)`` recipe: ``replace`` a setting, ``describe`` them all."""

    def replace(self: R, **changes: Any) -> R:
        """A copy with some settings changed (the recipe itself is frozen); unknown names raise TypeError."""
        names = [f.name for f in dataclasses.fields(self)]
        unknown = set(changes) - set(names)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no setting(s) {sorted(unknown)}; its settings are {names}.")
        return dataclasses.replace(self, **changes)

    def check_fields(self, rules: Mapping[str, Rule], problems: Sequence[str] = ()) -> None:
        """Raise one ValueError listing ``problems`` and every field that breaks its rule; else nothing.

        Call it from ``__post_init__``; ``problems`` holds what the rules cannot say (a field
        checked against another one, say).
        """
        found = list(problems) + [f"{name} must be {text}, got {getattr(self, name)!r}"
                                  for name, (ok, text) in rules.items() if not ok(getattr(self, name))]
        if found:
            raise ValueError(f"Invalid {type(self).__name__}: " + "; ".join(found) + ".")

    def describe(self) -> str:
        """The settings as aligned ``name : value`` lines, for printing."""
        fields = dataclasses.fields(self)
        width = max(len(f.name) for f in fields)
        return "\n".join(f"{f.name:{width}} : {getattr(self, f.name)!r}" for f in fields)
