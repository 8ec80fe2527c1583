"""What every training recipe of the course shares: frozen settings, changed by copy, printed aligned.

A recipe is a frozen dataclass holding every setting of one training run (lesson 07's
:class:`course_lib.mnist_numpy.Recipe`, lesson 08's :class:`course_lib.mnist_torch.CNNRecipe`).
They inherit :class:`FrozenRecipe` for :meth:`~FrozenRecipe.replace` and
:meth:`~FrozenRecipe.describe`, and validate their fields with :func:`is_whole` and :func:`is_real`.
"""

from __future__ import annotations

import dataclasses
import numbers
from typing import Any, TypeVar

import numpy as np

__all__ = ["FrozenRecipe", "is_real", "is_whole"]

R = TypeVar("R", bound="FrozenRecipe")


def is_whole(value: Any) -> bool:
    """True for a Python or NumPy integer; False for bools, floats and everything else."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def is_real(value: Any) -> bool:
    """True for a finite real number (int, float, NumPy scalar); False for bools, NaN and infinities."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and bool(np.isfinite(value))


class FrozenRecipe:
    """Mixin for a ``@dataclass(frozen=True)`` recipe: ``replace`` a setting, ``describe`` them all."""

    def replace(self: R, **changes: Any) -> R:
        """A copy with some settings changed (the recipe itself is frozen); unknown names raise TypeError."""
        names = [f.name for f in dataclasses.fields(self)]
        unknown = set(changes) - set(names)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no setting(s) {sorted(unknown)}; its settings are {names}.")
        return dataclasses.replace(self, **changes)

    def describe(self) -> str:
        """The settings as aligned ``name : value`` lines, for printing."""
        fields = dataclasses.fields(self)
        width = max(len(f.name) for f in fields)
        return "\n".join(f"{f.name:{width}} : {getattr(self, f.name)!r}" for f in fields)
