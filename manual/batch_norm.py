"""batch_norm: each channel scaled to zero mean and unit variance over the batch, then w, b.

x (N, C, *) is seen as (N, C, L), L the product of *: each channel has M = N L values;
w and b are (C,) (1 and 0 when absent), eps > 0, m = momentum.

Forward, training (the batch's own statistics; eval: the running ones, not updated):

1. mean = (1/M) sum over n, l of x                           (N, C, L) -> (C,)
2. var = (1/M) sum over n, l of (x - mean)^2                  (C,), biased: divided by M
3. y = (x - mean) / sqrt(var + eps) * w + b                   (N, C, L), as x
4. running_mean = (1 - m) running_mean + m mean              (C,), in place
   running_var = (1 - m) running_var + m var M / (M - 1)     unbiased: divided by M - 1

Backward, given dy, with invstd = 1 / sqrt(var + eps) and xhat = (x - mean) invstd:

5. db = sum over n, l of dy                                   (C,)
6. dw = sum over n, l of dy xhat                              (C,)
7. dx = w invstd (dy - db / M - xhat dw / M)                  training: mean, var follow x
   dx = w invstd dy                                           eval: constants

Quirks of torch that change the numbers (manual/_parity/batch_norm.py has the details):

* (3) is y = x alpha + beta, alpha = w invstd and beta = b - mean alpha, each one fused
  multiply-add (in eval invstd is rounded in x's dtype at each step, for (7) in double);
  (1), (2), (5)-(7) add in double or in the lanes of torch's vector loops.
* (4) m is momentum in x's dtype; the modules' momentum=None is m = 1 / num_batches_tracked.
* torch splits the sums of an (N, C) input between its threads: this is torch on one thread.

Reference: torch/nn/functional.py (``batch_norm``), torch/nn/modules/batchnorm.py,
aten/src/ATen/native/Normalization.cpp, aten/src/ATen/native/cpu/batch_norm_kernel.cpp.
"""

from __future__ import annotations

import numpy as np

from manual._parity import batch_norm as parity
from manual._parity.rounding import fma
from manual.creation import empty, ones, tensor, zeros
from manual.graph import record
from manual.init import ones_, zeros_
from manual.module import Module, Parameter
from manual.tensor import Tensor, int64


@np.errstate(all="ignore")  # NaN and infinities pass silently, as in torch
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-05) -> Tensor:
    """y = (x - mean) / sqrt(var + eps) * w + b per channel of x (N, C, *)."""
    if parity.check(input, running_mean, running_var, weight, bias, training, eps):
        return parity.empty_batch(input, weight, bias)  # no values: torch's x * w[0] + b[0]
    n, c = input.shape[:2]
    x = np.ascontiguousarray(input.array).reshape(n, c, -1)   # (N, C, *) -> (N, C, L)
    dt, count = x.dtype, x.size // c                           # M values per channel
    w, b = parity.per_channel(weight, c, dt, 1), parity.per_channel(bias, c, dt, 0)
    if training:
        mean, var_sum = parity.moments(x)       # (1), (2): sum x / M, sum (x - mean)^2
        invstd = parity.inv_std(var_sum / dt.type(count), eps)  # (2) / M, 1 / sqrt(. + eps)
        if running_mean is not None:
            m = dt.type(momentum)
            running_mean.array[...] = m * mean + (1 - m) * running_mean.array        # (4)
            unbiased = var_sum / dt.type(count - 1)                                  # (4)
            running_var.array[...] = parity.blend(running_var.array, unbiased, m)    # (4)
    else:
        mean = running_mean.array
        invstd = 1 / np.sqrt(running_var.array + dt.type(eps))  # (3) in x's dtype
    alpha = invstd * w                         # (3) w / sqrt(var + eps)
    beta = fma(-mean, alpha, b)                # (3) b - mean alpha, one rounding as torch
    y = fma(x, alpha[:, None], beta[:, None])  # (3) x alpha + beta, one rounding as torch
    grad_invstd = invstd if training else parity.inv_std(running_var.array, eps)  # (7) in double

    @np.errstate(all="ignore")
    def derivative(dy: np.ndarray) -> tuple[np.ndarray | None, ...]:
        dy = np.ascontiguousarray(dy).reshape(x.shape)          # (N, C, *) -> (N, C, L)
        total, dot = parity.channel_sums(dy, x, mean)  # (5), (6): sum dy, sum dy (x - mean)
        db = total.astype(dt)                                    # (5)
        dw = (dot * grad_invstd.astype(np.float64)).astype(dt)   # (6) invstd sum dy (x - mean)
        if not input.requires_grad:  # a batch of data: no dx
            dx = None
        elif training:  # (7) w invstd (dy - db / M - (x - mean) invstd^2 dot / M)
            dx = parity.training_dx(dy, x, mean, grad_invstd, w, total, dot)
        else:
            dx = dy * grad_invstd[:, None] * w[:, None]          # (7) eval: w invstd dy
        pairs = ((dx, input), (dw, weight), (db, bias))
        return tuple(g if g is None else g.reshape(t.shape) for g, t in pairs if t is not None)

    inputs = tuple(t for t in (input, weight, bias) if t is not None)
    return record(parity.NODE, y.reshape(input.shape), inputs, derivative, saves=True,
                  reads=parity.watched(input, weight, running_mean, running_var))


class _BatchNorm(Module):
    """BatchNorm1d's and BatchNorm2d's w and b (C,), and their running statistics (buffers)."""

    ranks: tuple[int, ...] = ()  # the input ranks the module takes

    def __init__(self, num_features: int, eps: float = 1e-05, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: object = None,
                 dtype: object = None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        c, on, tracked = num_features, {"dtype": dtype, "device": device}, track_running_stats
        self.register_parameter("weight", Parameter(empty(c, **on)) if affine else None)
        self.register_parameter("bias", Parameter(empty(c, **on)) if affine and bias else None)
        self.register_buffer("running_mean", zeros(c, **on) if tracked else None)
        self.register_buffer("running_var", ones(c, **on) if tracked else None)
        self.register_buffer("num_batches_tracked", tensor(0, dtype=int64) if tracked else None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            ones_(self.weight)
            if self.bias is not None:
                zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        parity.check_input_dim(input, self.ranks)  # torch's ValueError for another rank
        m = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                m = 1.0 / float(self.num_batches_tracked)     # (4) the cumulative average
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        kept = not self.training or self.track_running_stats  # the buffers, if updated or used
        stats = (self.running_mean, self.running_var) if kept else (None, None)
        return batch_norm(input, *stats, self.weight, self.bias, use_batch, m, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """batch_norm over (N, C) or (N, C, L), with its running statistics."""
    ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """batch_norm over (N, C, H, W), with its running statistics."""
    ranks = (4,)
