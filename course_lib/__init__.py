"""course_lib: the companion package of the course on how neural networks are trained.

Importing it has no side effects and does not import torch; the submodules that need torch import
it when they run. The names below are the ones lessons use most; everything else lives in its
submodule (``course_lib.data``, ``course_lib.recipes``, ``course_lib.numpy_nn``, ``course_lib.lessons``, ...).
"""

from course_lib.data import (
    iterate_minibatches,
    load_mnist,
    make_linear_regression,
    make_moons,
    make_polynomial_regression,
    make_spirals,
    train_val_split,
)
from course_lib.device import describe_environment, get_device, seed_everything
from course_lib.history import History

__version__ = "0.1.0"

__all__ = [
    "History",
    "__version__",
    "describe_environment",
    "get_device",
    "iterate_minibatches",
    "load_mnist",
    "make_linear_regression",
    "make_moons",
    "make_polynomial_regression",
    "make_spirals",
    "seed_everything",
    "train_val_split",
]
