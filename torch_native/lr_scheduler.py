"""lr_scheduler: the learning rate as a function of the step count, torch.optim.lr_scheduler.

Each ``step()`` does e = e + 1 and gives each group a new lr from its current one, eta:

1. StepLR:         eta = gamma eta          if e > 0 and e % step_size == 0
2. MultiStepLR:    eta = gamma^c eta        if e is a milestone listed c times
3. ExponentialLR:  eta = gamma eta
4. step(epoch), deprecated: the closed forms b gamma^(e // step_size),
   b gamma^(number of milestones <= e), b gamma^e (b = the group's ``initial_lr``)

Construction sets ``initial_lr`` and takes the first step (e = 0); ``step()`` before
``optimizer.step()`` warns.

Manual twin: manual/lr_scheduler.py, where the base class and each of these lines is a line
of code.

Reference: torch/optim/lr_scheduler.py (``LRScheduler``, ``StepLR``, ``MultiStepLR``,
``ExponentialLR``).
"""

from torch.optim import lr_scheduler

LRScheduler = lr_scheduler.LRScheduler
StepLR = lr_scheduler.StepLR
MultiStepLR = lr_scheduler.MultiStepLR
ExponentialLR = lr_scheduler.ExponentialLR
