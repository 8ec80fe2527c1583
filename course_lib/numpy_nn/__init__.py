"""The from-scratch NumPy reference: layers, losses, optimizers, schedules and the training loop.

The pure forward/backward pairs stay in ``course_lib.numpy_nn.functional`` and the pure update
rules in ``course_lib.numpy_nn.optimizers``; the classes most lessons use are re-exported here.
"""

from course_lib.numpy_nn import functional, gradcheck
from course_lib.numpy_nn.layers import (
    ELU,
    GELU,
    BatchNorm1d,
    Dropout,
    Flatten,
    Layer,
    LeakyReLU,
    Linear,
    LogSoftmax,
    Parameter,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
    mlp,
)
from course_lib.numpy_nn.losses import BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss
from course_lib.numpy_nn.optimizers import SGD, Adagrad, Adam, AdamW, RMSprop
from course_lib.numpy_nn.regularization import EarlyStopping, clip_grad_norm_
from course_lib.numpy_nn.schedules import CosineAnnealingLR, ExponentialLR, LinearWarmup, StepLR, WarmupCosineLR
from course_lib.numpy_nn.training import TrainingDivergedError, evaluate, fit

__all__ = [
    "ELU", "GELU", "SGD", "Adagrad", "Adam", "AdamW", "BCEWithLogitsLoss", "BatchNorm1d",
    "CosineAnnealingLR", "CrossEntropyLoss", "Dropout", "EarlyStopping", "ExponentialLR", "Flatten",
    "HuberLoss", "L1Loss", "Layer", "LeakyReLU", "Linear", "LinearWarmup", "LogSoftmax", "MSELoss",
    "Parameter", "RMSprop", "ReLU", "Sequential", "Sigmoid", "Softmax", "StepLR", "Tanh",
    "TrainingDivergedError", "WarmupCosineLR", "clip_grad_norm_", "evaluate", "fit", "functional", "gradcheck", "mlp",
]
