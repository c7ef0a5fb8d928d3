"""lr_curves: the learning rate along a curve of the step count, torch.optim.lr_scheduler's.

1. LambdaLR:           lr(e) = b lambda(e)
2. LinearLR:           lr(e) = b (s + (f - s) min(T, e) / T)     (T = total_iters)
3. CosineAnnealingLR:  lr(e) = m + (b - m)(1 + cos(pi e / T)) / 2    (T = T_max, m = eta_min)

LinearLR and CosineAnnealingLR step from the current lr by the ratio of consecutive values of
their curve (the "chainable" form), and use (2) and (3) for the deprecated ``step(epoch)``.

Manual twin: manual/lr_curves.py, where each of these lines, and each ratio, is a line of
code.

Reference: torch/optim/lr_scheduler.py (``LambdaLR``, ``LinearLR``, ``CosineAnnealingLR``).
"""

from torch.optim import lr_scheduler

LambdaLR = lr_scheduler.LambdaLR
LinearLR = lr_scheduler.LinearLR
CosineAnnealingLR = lr_scheduler.CosineAnnealingLR
