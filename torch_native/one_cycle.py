"""one_cycle: OneCycleLR, a warm-up to max_lr, then a long descent far below the start.

1. phases: up from max_lr / div_factor to max_lr until step pct_start N - 1, then down to
   max_lr / div_factor / final_div_factor at step N - 1 (three_phase: up, back, down)
2. pct = how far step e is into its phase, from 0 to 1
3. lr = anneal(lr from, lr to, pct), cosine or linear; the momentum (SGD's momentum or
   Adam's betas[0]) goes the other way, from max_momentum to base_momentum and back

Manual twin: manual/one_cycle.py, where each of these lines is a line of code.

Reference: torch/optim/lr_scheduler.py (``OneCycleLR``).
"""

from torch.optim import lr_scheduler

OneCycleLR = lr_scheduler.OneCycleLR
