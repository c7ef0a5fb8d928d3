"""manual.nn.utils: torch.nn.utils's names, from manual/clip_grad.py.

A namespace: it re-exports, and holds no logic.
"""

from manual.clip_grad import clip_grad_norm_, clip_grad_value_
