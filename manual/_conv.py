"""What conv2d and conv_transpose2d share: im2col and col2im, and the reshapes between
images and matrices.

The pieces' maths is in manual/conv2d.py and manual/conv_transpose2d.py; this file holds the
machinery they both run on. torch's checks of their arguments are in
manual/_parity/conv.py.

One matrix per image and group, (N, G, rows, P) for P pixels per image, is what the pieces
read. Where a product is large, the copy that im2col or the regrouping makes anyway lays the
images side by side, one matrix per group, (G, rows, N P), and hands back a view of it per
image; the product is then one call to BLAS per group for the whole batch
(``_batch_matrix``), not one per image: a few large products keep BLAS's threads busy where
many small ones mostly wait for each other. Each entry is still the dot product its image's
product computes, bit for bit: NumPy's OpenBLAS computes a float32 product of more than
100^3 multiply-adds with its general kernel, which packs its operands (so the strides do not
matter) and sums each entry in an order set by the length of the dot product alone; the
weight gradient, which reads the same copy image by image, is a product of the same size.
Smaller products take OpenBLAS's small-matrix, gemv and dot kernels, whose order depends on
where an entry lies or on how the operands lie in memory, and float64 products a kernel
whose order depends on the entry's place too: those are made image by image, on arrays laid
out as they always were.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

_Pair = tuple[int, int]
_Pads = tuple[_Pair, _Pair]  # ((top, bottom), (left, right))
_GENERAL_KERNEL = 100**3     # OpenBLAS's small-matrix kernels take products of at most this


def out_size(padded: tuple[int, ...], kernel: tuple[int, ...], stride: _Pair,
             dilation: _Pair) -> tuple[int, int]:
    """H_out, W_out: the window positions in the padded input (equation 2)."""
    return tuple((n - d * (k - 1) - 1) // s + 1
                 for n, k, s, d in zip(padded, kernel, stride, dilation))


def im2col(x_pad: np.ndarray, w: np.ndarray, stride: _Pair, dilation: _Pair,
           groups: int) -> np.ndarray:
    """The windows W (G A, B, kh, kw) reads, one column per window, one matrix per image and
    group: (N, G, B kh kw, Ho Wo).

    The input is (N, C, Hp, Wp). Each column lists its window in W's own memory order,
    channel by channel and tap by tap within a channel, so W multiplies it with no transpose;
    with stride 1 the copy reads runs of Wo values along the image rows. Windows that already
    are such matrices in x's memory (a 1x1 kernel's, often) are read in place.
    """
    (kh, kw), (sh, sw), (dh, dw) = w.shape[2:], stride, dilation
    extent = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)                   # the dilated kernel
    view = sliding_window_view(x_pad, extent, axis=(2, 3))           # (N, C, ., ., ext_h, ext_w)
    windows = view[:, :, ::sh, ::sw, ::dh, ::dw]                      # (N, C, Ho, Wo, kh, kw)
    n, c, h_out, w_out = windows.shape[:4]
    columns = windows.transpose(0, 1, 4, 5, 2, 3)                     # (N, C, kh, kw, Ho, Wo)
    shape = (n, groups, c // groups * kh * kw, h_out * w_out)         # (N, G, K, Ho Wo)
    try:
        return np.reshape(columns, shape, copy=False)                 # in place
    except ValueError:  # a copy; the images side by side if W_g (A, K) @ (K, Ho Wo) is batched
        if _one_product(x_pad.dtype, (w.shape[0] // groups, shape[2], shape[3])):
            return _side_by_side(columns, shape)
        return columns.reshape(shape)


def grouped(a: np.ndarray, w: np.ndarray, groups: int) -> np.ndarray:
    """(N, C, H, W) as one matrix per image and group, (N, G, C/G, H W), in a copy (NumPy's
    matmul hands BLAS only matrices with a unit stride in one dim, which a broadcast dy, as
    .sum() gives, all strides 0, lacks), for col2im through W (G C/G, B, kh, kw)."""
    n, c, h, w_in = a.shape
    shape = (n, groups, c // groups, h * w_in)                        # (N, G, C/G, H W)
    if _one_product(a.dtype, (h * w_in, c // groups, w.shape[1])):  # (H W, C/G) @ (C/G, B)
        return _side_by_side(a, shape)
    return np.ascontiguousarray(a).reshape(shape)


def kernel_product(w: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """W (G A, B, kh, kw) times each image's columns, cols (N, G, K, P) with K = B kh kw:
    (N, G, A, P). W is read as one matrix per group, (G, A, K), its columns ordered like
    im2col's rows."""
    n, groups, k, pixels = cols.shape
    a = w.shape[0] // groups
    w_g = w.reshape(groups, a, math.prod(w.shape[1:]))                # (G, A, K)
    batch = _batch_matrix(cols, (a, k, pixels))                       # (G, K, N P) or None
    if batch is None:
        return w_g @ cols                                             # (N, G, A, P)
    y = w_g @ batch                                                   # (G, A, N P)
    return y.reshape(groups, a, n, pixels).transpose(2, 0, 1, 3)      # (N, G, A, P)


def weight_gradient(cols: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The sum over images of cols[n] a[n]^T: (G, K, R) for cols (N, G, K, P) and a (N, G, R, P),
    one product per image, added image after image."""
    return (cols @ a.transpose(0, 1, 3, 2)).sum(axis=0)               # (G, K, R)


def col2im(w: np.ndarray, a: np.ndarray, size: _Pair, canvas_size: _Pair, stride: _Pair,
           dilation: _Pair) -> np.ndarray:
    """im2col's adjoint, through W (G A, B, kh, kw): a (N, G, A, H W) holds a column per pixel
    of each image's (H, W) grid; a[n, g][:, pixel]^T W_g[:, :, u, v] (B,) is what tap (u, v)
    of the window there sends back, added onto the canvas pixel that tap reads, a tap at a
    time. Returns the canvas as (N, G B, Hc, Wc).

    The canvas is kept channels-last, so each tap's add runs along image rows of G B values.
    """
    (height, width), (sh, sw), (dh, dw) = size, stride, dilation
    n, groups, a_rows, pixels = a.shape
    b, kh, kw = w.shape[1:]
    per_tap = w.reshape(groups, a_rows, b, kh, kw).transpose(0, 1, 3, 4, 2)  # (G, A, kh, kw, B)
    batch = _batch_matrix(a, (pixels, a_rows, b))                     # (G, A, N H W) or None
    if batch is None:  # a product per image and tap: a[n, g]^T W_g[:, :, u, v], (H W, B)
        taps = np.ascontiguousarray(per_tap.transpose(2, 3, 0, 1, 4))    # (kh, kw, G, A, B)
        pixel_rows = np.ascontiguousarray(a).transpose(0, 1, 3, 2)      # (N, G, H W, A)
        blocks = ((pixel_rows @ taps[u, v]).reshape(n, groups, height, width, b)
                  for u, v in np.ndindex(kh, kw))                     # (N, G, H, W, B) each
    else:  # every image and tap in one product per group
        stamps = batch.transpose(0, 2, 1) @ per_tap.reshape(groups, a_rows, kh * kw * b)
        stamps = stamps.reshape(groups, n, height, width, kh * kw, b)  # (G, N, H, W, ., B)
        blocks = stamps.transpose(4, 1, 0, 2, 3, 5)                    # (., N, G, H, W, B)
    canvas = np.zeros((n, *canvas_size, groups, b), dtype=np.result_type(w, a))
    for (u, v), block in zip(np.ndindex(kh, kw), blocks):
        rows = slice(dh * u, dh * u + sh * (height - 1) + 1, sh)      # the pixels tap (u, v)
        columns = slice(dw * v, dw * v + sw * (width - 1) + 1, sw)    # reads, one per window
        canvas[:, rows, columns] += block.transpose(0, 2, 3, 1, 4)    # (N, H, W, G, B)
    return canvas.reshape(n, *canvas_size, groups * b).transpose(0, 3, 1, 2)  # (N, G B, Hc, Wc)


def _side_by_side(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """a (N, C, ..., H, W) copied as one matrix per image and group, shape (N, G, R, H W): the
    copy holds the images side by side, (G, R, N H W), for ``_batch_matrix``."""
    n, groups, rows, pixels = shape
    matrices = np.ascontiguousarray(np.moveaxis(a, 0, -3))           # (C, ..., N, H, W)
    return matrices.reshape(groups, rows, n, pixels).transpose(2, 0, 1, 3)  # (N, G, R, H W)


def _one_product(dtype: np.dtype, sizes: tuple[int, int, int]) -> bool:
    """Whether each image's product (M, K) @ (K, L), sizes (M, K, L), is made over the whole
    batch: a float32 matrix product of more than 100^3 multiply-adds, which OpenBLAS computes
    with its general kernel (each entry summed in an order set by K alone, so the batch's
    product gives the same bits)."""
    return (dtype == np.float32 and min(sizes) > 1
            and sizes[0] * sizes[1] * sizes[2] > _GENERAL_KERNEL)


def _batch_matrix(per_image: np.ndarray, sizes: tuple[int, int, int]) -> np.ndarray | None:
    """per_image (N, G, R, P) as one matrix per group, (G, R, N P), if it lies so in memory
    (as ``_side_by_side`` lays it) and its products are made over the batch; else None."""
    matrices = per_image.transpose(1, 2, 0, 3)                        # (G, R, N, P)
    if not (matrices.flags.c_contiguous and _one_product(per_image.dtype, sizes)):
        return None
    g, r, n, p = matrices.shape
    return matrices.reshape(g, r, n * p)                              # (G, R, N P), a view
