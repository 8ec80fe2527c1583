"""The from-scratch NumPy reference: layers, losses, optimizers, schedules and the training loop.

Each concept has one module, as in torch: ``functional`` (the activations' forward/backward pairs),
``module`` (Parameter, Layer, Sequential), ``layers``, ``normalization`` (LayerNorm), ``residual``,
``init``, ``models`` (MLP), ``losses``, ``optimizers`` (the pure update rules and torch.optim's classes), ``schedules``, ``regularization``,
``gradcheck``, ``training`` and ``checkpoint``. The classes most lessons use are re-exported here.
"""

from course_lib.numpy_nn import functional, gradcheck
from course_lib.numpy_nn.layers import (
    ELU, GELU, BatchNorm1d, Dropout, Flatten, LeakyReLU, Linear, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh,
)
from course_lib.numpy_nn.module import Layer, Parameter, Sequential
from course_lib.numpy_nn.models import MLP
from course_lib.numpy_nn.normalization import LayerNorm
from course_lib.numpy_nn.residual import Residual
from course_lib.numpy_nn.losses import BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss
from course_lib.numpy_nn.optimizers import SGD, Adagrad, Adam, AdamW, RMSprop
from course_lib.numpy_nn.regularization import EarlyStopping, clip_grad_norm_
from course_lib.numpy_nn.schedules import CosineAnnealingLR, ExponentialLR, LinearWarmup, StepLR, WarmupCosineLR
from course_lib.numpy_nn.training import TrainingDivergedError, evaluate, fit

__all__ = [
    "ELU", "GELU", "SGD", "Adagrad", "Adam", "AdamW", "BCEWithLogitsLoss", "BatchNorm1d",
    "CosineAnnealingLR", "CrossEntropyLoss", "Dropout", "EarlyStopping", "ExponentialLR", "Flatten",
    "HuberLoss", "L1Loss", "Layer", "LayerNorm", "LeakyReLU", "Linear", "LinearWarmup", "LogSoftmax", "MSELoss",
    "Parameter", "RMSprop", "ReLU", "Residual", "Sequential", "Sigmoid", "Softmax", "StepLR", "Tanh",
    "MLP", "TrainingDivergedError", "WarmupCosineLR", "clip_grad_norm_", "evaluate", "fit", "functional", "gradcheck",
]
