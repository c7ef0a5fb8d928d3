"""manual.optim.lr_scheduler: torch.optim.lr_scheduler's names, from manual/lr_scheduler.py,
lr_curves.py, one_cycle.py and plateau.py.

A namespace: it re-exports, and holds no logic.
"""

from manual._parity.lr_scheduler import EPOCH_DEPRECATION_WARNING
from manual.lr_curves import CosineAnnealingLR, LambdaLR, LinearLR
from manual.lr_scheduler import ExponentialLR, LRScheduler, MultiStepLR, StepLR
from manual.one_cycle import OneCycleLR
from manual.plateau import ReduceLROnPlateau
