"""The PyTorch twins of course_lib.numpy_nn.losses: torch.nn's own losses, re-exported.

The NumPy loss classes mirror these: the same names, hyperparameters (``HuberLoss(delta=1.0)``)
and mean reduction. One difference in calling convention: a NumPy loss returns a float from
``forward(pred, target)`` and gives dLoss/dpred from ``backward()``; a torch loss returns a
scalar tensor and autograd does the backward pass (``loss.backward()``).
"""

from __future__ import annotations

from torch.nn import BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss

__all__ = ["BCEWithLogitsLoss", "CrossEntropyLoss", "HuberLoss", "L1Loss", "MSELoss"]
