"""linear_regression: the thermometer of "Deep Learning with PyTorch", chapter 5, with its
gradient derived by hand. No autograd engine: every derivative is a line of NumPy.

Readings t_u of an unknown thermometer are fitted to Celsius t_c by t_p = w t_u + b,
minimising the mean squared error over the N readings:

1. t_p = w t_u + b                                   model
2. L = (1/N) sum_i (t_p,i - t_c,i)^2                 loss_fn
3. dL/dt_p,i = 2 (t_p,i - t_c,i) / N                 dloss_fn
4. dt_p,i/dw = t_u,i,   dt_p,i/db = 1                dmodel_dw, dmodel_db
5. dL/dw = sum_i dL/dt_p,i * t_u,i                   grad_fn (the chain rule)
   dL/db = sum_i dL/dt_p,i * 1
6. params = params - learning_rate * grad            training_loop, once per epoch

With t_u scaled by 0.1, learning_rate 1e-2 and params [1.0, 0.0], the book reports a first
loss of 80.364342 and, after 5000 epochs, params [5.3671, -17.3012] at loss 2.927648.

Reference: Stevens, Antiga, Viehmann, "Deep Learning with PyTorch" (Manning, 2020),
sections 5.4 (gradient by hand) and 5.5 (the same loop with autograd).
"""

from __future__ import annotations

import numpy as np

from manual._parity.mse_loss import broadcast_shape
from manual.creation import tensor
from manual.tensor import Tensor

# The book's eleven readings: Celsius, and the unknown thermometer's units.
T_C = [0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0]
T_U = [35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4]


def model(t_u: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    return w * t_u + b                                             # (1)


def loss_fn(t_p: np.ndarray, t_c: np.ndarray) -> np.ndarray:
    squared_diffs = (t_p - t_c) ** 2
    return squared_diffs.mean()                                    # (2)


def dloss_fn(t_p: np.ndarray, t_c: np.ndarray) -> np.ndarray:
    return 2 * (t_p - t_c) / t_p.shape[0]                          # (3)


def dmodel_dw(t_u: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    return t_u                                                     # (4)


def dmodel_db(t_u: np.ndarray, w: np.ndarray, b: np.ndarray) -> float:
    return 1.0                                                     # (4)


# The book passes w and b to derivatives that never read them (the model is linear: its
# slopes are t_u and 1 whatever w and b are), so mutating those calls changes nothing.
def grad_fn(t_u: np.ndarray, t_c: np.ndarray, t_p: np.ndarray, w: np.ndarray,
            b: np.ndarray) -> np.ndarray:
    dloss_dtp = dloss_fn(t_p, t_c)
    dloss_dw = dloss_dtp * dmodel_dw(t_u, w, b)        # (5) chain rule  # pragma: no mutate
    dloss_db = dloss_dtp * dmodel_db(t_u, w, b)                    # pragma: no mutate
    return np.stack([dloss_dw.sum(), dloss_db.sum()])


def training_loop(n_epochs: int, learning_rate: float, params: Tensor, t_u: Tensor,
                  t_c: Tensor) -> Tensor:
    """Plain gradient descent on [w, b]; returns the fitted params."""
    # arrays as torch.tensor would make them: Python floats become float32
    params, t_u, t_c = (tensor(a).array for a in (params, t_u, t_c))
    broadcast_shape(t_u.shape, t_c.shape, ("t_u", "t_c"))          # torch's refusal, if any
    for _ in range(n_epochs):
        w, b = params
        t_p = model(t_u, w, b)
        grad = grad_fn(t_u, t_c, t_p, w, b)                        # pragma: no mutate
        params = params - learning_rate * grad                     # (6)
    return Tensor(params)
