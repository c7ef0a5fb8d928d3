"""dealias doctor case: the model and the optimizer held by a trainer object, not module
globals: zero_grad() forgotten (buggy) and called (fixed)."""

import torch


class Trainer:
    def __init__(self):
        torch.manual_seed(0)
        self.model = torch.nn.Linear(3, 1)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.01)
        self.x, self.y = torch.randn(16, 3), torch.randn(16, 1)

    def train_step(self, zero):
        if zero:
            self.optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(self.model(self.x), self.y)
        loss.backward()
        self.optimizer.step()
        return loss.item()


trainer = Trainer()


def buggy():
    return trainer.train_step(zero=False)


def fixed():
    return trainer.train_step(zero=True)
