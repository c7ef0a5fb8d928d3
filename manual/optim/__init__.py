"""manual.optim: torch.optim's names, each the optimizer of a piece (manual/sgd.py, ...).

A namespace: it re-exports, and holds no logic.
"""

from manual.adadelta import Adadelta
from manual.adagrad import Adagrad
from manual.adam import Adam, AdamW
from manual.optim import lr_scheduler
from manual.optimizer import Optimizer
from manual.rmsprop import RMSprop
from manual.sgd import SGD
