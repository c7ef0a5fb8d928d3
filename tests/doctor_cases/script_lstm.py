"""dealias doctor case, a whole script that needs a torch name manual does not have."""

import torch

model = torch.nn.LSTM(3, 4)
