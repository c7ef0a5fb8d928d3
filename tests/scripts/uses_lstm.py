"""A script that needs a layer manual does not have (yet)."""

import torch.nn as nn

model = nn.LSTM(8, 16)
