"""The PyTorch twins of course_lib.numpy_nn.losses: torch.nn's own losses, re-exported.

The NumPy loss classes mirror these: the same names, hyperparameters (``HuberLoss(delta=1.0)``)
and mean reduction. One difference in calling convention: a NumPy loss returns a float from
``forward(pred, target)`` and gives dLoss/dpred from ``backward()``; a torch loss returns a
scalar tensor and autograd does the backward pass (``loss.backward()``).

torch checks less than the NumPy twins do: MSELoss broadcasts pred (N, 1) against target (N,) into
an (N, N) loss with only a warning, and CrossEntropyLoss meets a label outside [0, C) with an
IndexError (or a device assert on a GPU). ``torch_nn.fit`` and ``evaluate`` therefore screen the
targets with the NumPy twin's own checks, and refuse them with its message.
"""

from __future__ import annotations

from torch.nn import BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss

__all__ = ["BCEWithLogitsLoss", "CrossEntropyLoss", "HuberLoss", "L1Loss", "MSELoss"]
