"""What conv2d and conv_transpose2d share: im2col and col2im, and the reshapes between
images and matrices.

The pieces' maths is in manual/conv2d.py and manual/conv_transpose2d.py; this file holds the
machinery they both run on. torch's checks of their arguments are in
manual/_parity/conv.py.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

_Pair = tuple[int, int]
_Pads = tuple[_Pair, _Pair]  # ((top, bottom), (left, right))


def out_size(padded: tuple[int, ...], kernel: tuple[int, ...], stride: _Pair,
             dilation: _Pair) -> tuple[int, int]:
    """H_out, W_out: the window positions in the padded input (equation 2)."""
    return tuple((n - d * (k - 1) - 1) // s + 1
                 for n, k, s, d in zip(padded, kernel, stride, dilation))


def im2col(x_pad: np.ndarray, kernel: tuple[int, ...], stride: _Pair, dilation: _Pair,
           groups: int) -> np.ndarray:
    """One column per window, one matrix per image and group: (N, G, C/G kh kw, Ho Wo).

    The input is (N, C, Hp, Wp). Each column lists its window in W's own memory order,
    channel by channel and tap by tap within a channel, so W multiplies it with no transpose;
    with stride 1 the copy reads runs of Wo values along the image rows.
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    extent = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)                   # the dilated kernel
    view = sliding_window_view(x_pad, extent, axis=(2, 3))           # (N, C, ., ., ext_h, ext_w)
    windows = view[:, :, ::sh, ::sw, ::dh, ::dw]                      # (N, C, Ho, Wo, kh, kw)
    n, c, h_out, w_out = windows.shape[:4]
    columns = windows.transpose(0, 1, 4, 5, 2, 3)                     # (N, C, kh, kw, Ho, Wo)
    return columns.reshape(n, groups, c // groups * kh * kw, h_out * w_out)  # (N, G, K, Ho Wo)


def weight_matrix(w: np.ndarray, groups: int) -> np.ndarray:
    """W (G A, B, kh, kw) as one matrix per group, (G, A, B kh kw): a reshape, its columns
    ordered like im2col's rows."""
    return w.reshape(groups, w.shape[0] // groups, math.prod(w.shape[1:]))  # (G, A, B kh kw)


def tap_matrices(w: np.ndarray, groups: int) -> np.ndarray:
    """W (G A, B, kh, kw) as one matrix per kernel tap and group, (kh, kw, G, A, B): tap
    (u, v) of group g is W_g[:, :, u, v], contiguous."""
    a, b, kh, kw = w.shape[0] // groups, *w.shape[1:]
    per_group = w.reshape(groups, a, b, kh, kw)                       # (G, A, B, kh, kw)
    return np.ascontiguousarray(per_group.transpose(3, 4, 0, 1, 2))   # (kh, kw, G, A, B)


def col2im(taps: np.ndarray, a_g: np.ndarray, size: _Pair, canvas_size: _Pair,
           stride: _Pair, dilation: _Pair) -> np.ndarray:
    """im2col's adjoint, a kernel tap at a time: a_g[n, g]^T taps[u, v, g], (H W, B), is what
    tap (u, v) of the window at each pixel of a_g's (H, W) grid sends back; it is added onto
    the canvas pixels that tap reads. Returns the canvas as (N, G B, Hc, Wc).

    The canvas is kept channels-last, so each tap's add runs along image rows of width G B
    contiguous values; the matrix product reads a_g (N, G, A, H W) transposed in place.
    """
    (height, width), (sh, sw), (dh, dw) = size, stride, dilation
    n, groups, b = a_g.shape[0], a_g.shape[1], taps.shape[-1]
    pixels = a_g.transpose(0, 1, 3, 2)                                # (N, G, H W, A), a view
    canvas = np.zeros((n, *canvas_size, groups, b), dtype=np.result_type(taps, a_g))
    for u, v in np.ndindex(*taps.shape[:2]):
        block = (pixels @ taps[u, v]).reshape(n, groups, height, width, b)  # (N, G, H, W, B)
        rows = slice(dh * u, dh * u + sh * (height - 1) + 1, sh)      # the pixels tap (u, v)
        columns = slice(dw * v, dw * v + sw * (width - 1) + 1, sw)    # reads, one per window
        canvas[:, rows, columns] += block.transpose(0, 2, 3, 1, 4)    # (N, H, W, G, B)
    return canvas.reshape(n, *canvas_size, groups * b).transpose(0, 3, 1, 2)  # (N, G B, Hc, Wc)


def grouped(a: np.ndarray, groups: int) -> np.ndarray:
    """(N, C, H, W) as one matrix per image and group, (N, G, C/G, H W), in contiguous
    memory: NumPy's matmul hands BLAS only matrices with a unit stride in one dim, which a
    broadcast dy (as .sum() gives, all strides 0) lacks, so that one is copied here once."""
    n, c, h, w = a.shape
    return np.ascontiguousarray(a).reshape(n, groups, c // groups, h * w)  # (N, G, C/G, H W)
