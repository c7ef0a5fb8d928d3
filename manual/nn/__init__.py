"""manual.nn: torch.nn's names, each the object of a piece (manual/linear.py, ...).

A namespace: it re-exports, and holds no logic.
"""

from manual.activations import GELU, Flatten, ReLU, Sequential, Sigmoid, Tanh
from manual.batch_norm import BatchNorm1d, BatchNorm2d
from manual.bce import BCELoss, BCEWithLogitsLoss
from manual.conv2d import Conv2d
from manual.conv_transpose2d import ConvTranspose2d
from manual.cross_entropy import CrossEntropyLoss
from manual.dropout import Dropout
from manual.embedding import Embedding
from manual.layer_norm import LayerNorm
from manual.linear import Linear
from manual.module import Module, ModuleDict, ModuleList, Parameter
from manual.mse_loss import MSELoss
from manual.nll_loss import NLLLoss
from manual.nn import functional, init, utils
from manual.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from manual.softmax import LogSoftmax, Softmax
