"""linear_regression: the thermometer of "Deep Learning with PyTorch", chapter 5, with every
derivative computed by autograd.

1. t_p = w t_u + b                                   model
2. L = (1/N) sum_i (t_p,i - t_c,i)^2                 loss_fn
3. dL/dt_p                                           dloss_fn: autograd through loss_fn
4. dt_p/dw, dt_p/db                                  dmodel_dw, dmodel_db: autograd through model
5. [dL/dw, dL/db]                                    grad_fn: autograd through both
6. params = params - learning_rate * grad            training_loop: backward() and an update
                                                     under no_grad, as in the book's 5.5.1

Manual twin: manual/linear_regression.py, where (3) to (5) are derived by hand.

Reference: Stevens, Antiga, Viehmann, "Deep Learning with PyTorch" (Manning, 2020),
section 5.5.
"""

from __future__ import annotations

import torch

T_C = [0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0]
T_U = [35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4]


def model(t_u: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return w * t_u + b


def loss_fn(t_p: torch.Tensor, t_c: torch.Tensor) -> torch.Tensor:
    squared_diffs = (t_p - t_c) ** 2
    return squared_diffs.mean()


def dloss_fn(t_p: torch.Tensor, t_c: torch.Tensor) -> torch.Tensor:
    t_p = t_p.detach().requires_grad_()
    (dloss_dtp,) = torch.autograd.grad(loss_fn(t_p, t_c), t_p)
    return dloss_dtp


def dmodel_dw(t_u: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    w = torch.as_tensor(w).detach().expand_as(t_u).requires_grad_()
    (dtp_dw,) = torch.autograd.grad(model(t_u, w, b).sum(), w)  # elementwise: d t_p,i / dw
    return dtp_dw


def dmodel_db(t_u: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    b = torch.as_tensor(b).detach().expand_as(t_u).requires_grad_()
    (dtp_db,) = torch.autograd.grad(model(t_u, w, b).sum(), b)
    return dtp_db


def grad_fn(t_u: torch.Tensor, t_c: torch.Tensor, t_p: torch.Tensor, w: torch.Tensor,
            b: torch.Tensor) -> torch.Tensor:
    params = torch.stack([torch.as_tensor(w), torch.as_tensor(b)]).detach().requires_grad_()
    loss = loss_fn(model(t_u, *params), t_c)  # t_p recomputed inside the graph
    (grad,) = torch.autograd.grad(loss, params)
    return grad


def training_loop(n_epochs: int, learning_rate: float, params: torch.Tensor,
                  t_u: torch.Tensor, t_c: torch.Tensor) -> torch.Tensor:
    """Plain gradient descent on [w, b]; returns the fitted params."""
    params = params.detach().clone().requires_grad_()
    for _ in range(n_epochs):
        if params.grad is not None:
            params.grad.zero_()
        t_p = model(t_u, *params)
        loss = loss_fn(t_p, t_c)
        loss.backward()
        with torch.no_grad():
            params -= learning_rate * params.grad
    return params.detach()
