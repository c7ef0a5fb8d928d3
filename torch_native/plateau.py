"""plateau: ReduceLROnPlateau, the learning rate cut when a watched metric stops improving.

1. a metric is better than the best by a threshold (relative or absolute; min or max mode)
2. better: best = a, bad = 0; else bad = bad + 1
3. in a cooldown: bad = 0
4. bad > patience: lr = max(factor lr, min_lr) (changes of eps or less skipped), cooldown

Manual twin: manual/plateau.py, where each of these lines is a line of code.

Reference: torch/optim/lr_scheduler.py (``ReduceLROnPlateau``).
"""

from torch.optim import lr_scheduler

ReduceLROnPlateau = lr_scheduler.ReduceLROnPlateau
