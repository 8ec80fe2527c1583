"""Lesson 08, MNIST with PyTorch: the same network and a CNN, on CPU or GPU, and what makes training fast."""

import numpy as np

from course_lib.lessons import ExplorerEntry, Lesson, Timing
from course_lib.lessons.l08_mnist_with_pytorch.checks import (
    check_conv_output_size,
    check_count_cnn_parameters,
    check_evaluate_accuracy,
    check_torch_train_one_epoch,
    check_train_step,
    predict_cnn_parameters,
)
from course_lib.lessons.l08_mnist_with_pytorch.explorers import shift_explorer


def _small():
    import torch

    from course_lib.torch_nn import MLP

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    return shift_explorer({"MLP": MLP([784, 10])}, rng.random((12, 784), dtype=np.float32), np.arange(12) % 10, max_shift=3)


def _full():
    """The lesson's MLP and CNN, untrained: the same layers cost the same time as trained ones."""
    import torch

    from course_lib.data import load_mnist
    from course_lib.lessons.l08_mnist_with_pytorch.mnist_cnn import build_cnn
    from course_lib.torch_nn import MLP

    torch.manual_seed(0)
    X, y = load_mnist("test", normalize="standard")
    return shift_explorer({"MLP": MLP([784, 256, 128, 10]), "CNN": build_cnn()}, X[:500], y[:500], start=0)


LESSON = Lesson(
    notebook="08_mnist_with_pytorch.ipynb",
    explorers=(ExplorerEntry(shift_explorer, small=_small, full=_full, timings=(Timing("dx", "dx", (2, -2)),)),),
    checks=(check_conv_output_size, check_count_cnn_parameters, check_train_step, check_torch_train_one_epoch,
            check_evaluate_accuracy),
    predictions=(predict_cnn_parameters,),
)
