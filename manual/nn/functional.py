"""manual.nn.functional: torch.nn.functional's names, each the function of a piece.

A namespace: it re-exports, and holds no logic.
"""

from manual.activations import gelu, relu
from manual.batch_norm import batch_norm
from manual.bce import binary_cross_entropy, binary_cross_entropy_with_logits
from manual.conv2d import conv2d
from manual.conv_transpose2d import conv_transpose2d
from manual.cross_entropy import cross_entropy
from manual.dropout import dropout
from manual.embedding import embedding
from manual.layer_norm import layer_norm
from manual.linear import linear
from manual.mse_loss import mse_loss
from manual.nll_loss import nll_loss
from manual.pointwise import sigmoid, tanh
from manual.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from manual.softmax import log_softmax, softmax
