"""The package's shape: twins share their names, and importing the NumPy side stays light."""

from __future__ import annotations

import subprocess
import sys

import course_lib.numpy_nn as numpy_nn
import course_lib.torch_nn as torch_nn

NUMPY_ONLY = {"functional", "gradcheck", "Layer", "Parameter"}  # torch has its own tools for these
TORCH_ONLY = {"CNN", "copy_weights_numpy_to_torch", "copy_weights_torch_to_numpy", "to_device"}


def test_every_numpy_class_has_a_torch_twin_of_the_same_name():
    assert set(numpy_nn.__all__) - NUMPY_ONLY == set(torch_nn.__all__) - TORCH_ONLY
    for name in set(numpy_nn.__all__) - NUMPY_ONLY:
        assert hasattr(torch_nn, name), name


def test_importing_the_course_and_its_numpy_reference_does_not_import_torch():
    code = "import sys, course_lib, course_lib.numpy_nn, course_lib.ui.plots, course_lib.ui.checks, course_lib.recipes, course_lib.metrics; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
