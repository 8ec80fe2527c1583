"""The PyTorch twins of course_lib.numpy_nn: same module names, class names and hyperparameters.

Where torch already is the twin it is used: torch's own parameter-free layers and losses, and
thin subclasses of torch's layers and schedules that take settings, which check them first with the
NumPy twin's messages. The optimizers are written out as torch.optim.Optimizer subclasses.
Importing this package imports torch.
"""

from course_lib.torch_nn.layers import (
    ELU,
    GELU,
    BatchNorm1d,
    Dropout,
    Flatten,
    LeakyReLU,
    Linear,
    LogSoftmax,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from course_lib.torch_nn.losses import BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss
from course_lib.torch_nn.normalization import LayerNorm
from course_lib.torch_nn.residual import Residual
from course_lib.torch_nn.models import CNN, MLP, copy_weights_numpy_to_torch, copy_weights_torch_to_numpy
from course_lib.torch_nn.optimizers import SGD, Adagrad, Adam, AdamW, RMSprop
from course_lib.torch_nn.regularization import EarlyStopping, clip_grad_norm_
from course_lib.torch_nn.schedules import CosineAnnealingLR, ExponentialLR, LinearWarmup, StepLR, WarmupCosineLR
from course_lib.torch_nn.training import TrainingDivergedError, evaluate, fit, to_device

__all__ = [
    "CNN", "ELU", "GELU", "MLP", "SGD", "Adagrad", "Adam", "AdamW", "BCEWithLogitsLoss", "BatchNorm1d",
    "CosineAnnealingLR", "CrossEntropyLoss", "Dropout", "EarlyStopping", "ExponentialLR", "Flatten",
    "HuberLoss", "L1Loss", "LayerNorm", "LeakyReLU", "Linear", "LinearWarmup", "LogSoftmax", "MSELoss", "RMSprop",
    "ReLU", "Residual", "Sequential", "Sigmoid", "Softmax", "StepLR", "Tanh", "TrainingDivergedError", "WarmupCosineLR",
    "clip_grad_norm_", "copy_weights_numpy_to_torch", "copy_weights_torch_to_numpy", "evaluate", "fit",
    "to_device",
]
