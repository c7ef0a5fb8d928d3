"""What conv2d and conv_transpose2d share: im2col and col2im, the reshapes between images
and matrices, and torch's checks of their arguments (with torch's exception types, messages
extended with the argument's name and value).

The pieces' maths is in manual/conv2d.py and manual/conv_transpose2d.py; this file holds the
machinery they both run on.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from manual._module import Module
from manual._parity.dtypes import torch_name as _torch_name
from manual.tensor import Tensor

_Pair = tuple[int, int]
_Pads = tuple[_Pair, _Pair]  # ((top, bottom), (left, right))


def _out_size(padded: tuple[int, ...], kernel: tuple[int, ...], stride: _Pair,
              dilation: _Pair) -> tuple[int, int]:
    """H_out, W_out: the window positions in the padded input (equation 2)."""
    return tuple((n - d * (k - 1) - 1) // s + 1
                 for n, k, s, d in zip(padded, kernel, stride, dilation))


def _im2col(x_pad: np.ndarray, kernel: tuple[int, ...], stride: _Pair, dilation: _Pair,
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


def _weight_matrix(w: np.ndarray, groups: int) -> np.ndarray:
    """W (G A, B, kh, kw) as one matrix per group, (G, A, B kh kw): a reshape, its columns
    ordered like _im2col's rows."""
    return w.reshape(groups, w.shape[0] // groups, math.prod(w.shape[1:]))


def _tap_matrices(w: np.ndarray, groups: int) -> np.ndarray:
    """W (G A, B, kh, kw) as one matrix per kernel tap and group, (kh, kw, G, A, B): tap
    (u, v) of group g is W_g[:, :, u, v], contiguous."""
    a, b, kh, kw = w.shape[0] // groups, *w.shape[1:]
    grouped = w.reshape(groups, a, b, kh, kw)                         # (G, A, B, kh, kw)
    return np.ascontiguousarray(grouped.transpose(3, 4, 0, 1, 2))     # (kh, kw, G, A, B)


def _col2im(taps: np.ndarray, a_g: np.ndarray, size: _Pair, canvas_size: _Pair,
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


def _grouped(a: np.ndarray, groups: int) -> np.ndarray:
    """(N, C, H, W) as one matrix per image and group, (N, G, C/G, H W), in contiguous
    memory: NumPy's matmul hands BLAS only matrices with a unit stride in one dim, which a
    broadcast dy (as .sum() gives, all strides 0) lacks, so that one is copied here once."""
    n, c, h, w = a.shape
    return np.ascontiguousarray(a).reshape(n, groups, c // groups, h * w)


# -- torch's checks of the arguments ---------------------------------------------------------

def _same_pads(kernel_size: tuple[int, ...], dilation: _Pair) -> _Pads:
    """"same": d (k - 1) zeros per axis, the odd one (if any) on the bottom / right."""
    totals = [d * (k - 1) for d, k in zip(dilation, kernel_size)]
    return tuple((total // 2, total - total // 2) for total in totals)


def _batched(input: Tensor, name: str) -> np.ndarray:
    """x as (N, C, H, W): an unbatched (C, H, W) input is a batch of one."""
    if input.ndim not in (3, 4):
        raise RuntimeError(f"Expected 3D (unbatched) or 4D (batched) input to {name}, but got "
                           f"input of size: {list(input.shape)}")
    return input.array if input.ndim == 4 else input.array[None]


def _pair(value: int | _Pair, name: str, fn: str) -> _Pair:
    """An int or a sequence of one or two ints, as (height, width)."""
    values = [value] if isinstance(value, (int, np.integer)) else value
    if not isinstance(values, (list, tuple)) or not all(
            isinstance(v, (int, np.integer)) for v in values):
        raise TypeError(f"{fn}(): argument '{name}' must be tuple of ints, but got "
                        f"{name}={value!r}")
    if len(values) not in (1, 2):
        raise RuntimeError(f"expected {name} to be a single integer value or a list of 2 values "
                           f"to match the convolution dimensions, but got {name}={list(values)}")
    return (int(values[0]), int(values[-1]))


def _check_padding_string(padding: int | _Pair | str, stride: _Pair, error: type) -> None:
    """Only "valid" and "same", and "same" only with stride 1 (RuntimeError in the function,
    ValueError in the module, as torch)."""
    if not isinstance(padding, str):
        return
    if padding not in ("valid", "same"):
        raise error(f"Invalid padding string {padding!r}, should be one of "
                    "{'valid', 'same'}")
    if padding == "same" and stride != (1, 1):
        raise error("padding='same' is not supported for strided convolutions, but got "
                    f"stride={stride}")


def _check_numbers(groups: int, stride: _Pair, dilation: _Pair, padding: _Pair,
                   output_padding: _Pair = (0, 0)) -> None:
    """torch's checks on the numbers: each message starts with torch's own words."""
    if groups <= 0:
        raise RuntimeError(f"non-positive groups is not supported, but got groups={groups}")
    if min(padding) < 0:
        raise RuntimeError(f"negative padding is not supported, but got padding={padding}")
    if min(output_padding) < 0:
        raise RuntimeError("negative output_padding is not supported, but got "
                           f"output_padding={output_padding}")
    if min(stride) <= 0:
        raise RuntimeError(f"non-positive stride is not supported, but got stride={stride}")
    if min(dilation) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilation={dilation}")


def _check_weight(weight: Tensor, groups: int, x_shape: tuple[int, ...], bias: Tensor | None,
                  transposed: bool) -> None:
    """W's shape against groups, x's channels and b (torch's check_shape_forward)."""
    size = list(weight.shape)
    if weight.ndim != 4:
        raise RuntimeError(f"Expected 4-dimensional weight, but got weight of size {size}")
    if size[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at "
                           f"dimension 0, but got weight of size {size} instead")
    if size[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size {size} instead")
    c_in, c_out = (size[0], size[1] * groups) if transposed else (size[1] * groups, size[0])
    given = f"Given {'transposed=1' if transposed else f'groups={groups}'}, weight of size {size}"
    if x_shape[1] != c_in:
        raise RuntimeError(f"{given}, expected input{list(x_shape)} to have {c_in} channels, "
                           f"but got {x_shape[1]} channels instead")
    if bias is not None and bias.shape != (c_out,):
        given = given if transposed else f"Given weight of size {size}"
        raise RuntimeError(f"{given}, expected bias to be 1-dimensional with {c_out} elements, "
                           f"but got bias of size {list(bias.shape)} instead")


def _check_bool(x: np.ndarray, kernel: str) -> None:
    """torch has no bool convolution: its kernel refuses a bool input with images in it
    before any check of W's and b's dtypes (an empty batch takes another path)."""
    if x.dtype == bool and x.size:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\': input of dtype '
                                  "bool")


def _check_dtypes(x: np.ndarray, weight: Tensor | None, bias: Tensor | None) -> None:
    """One dtype for x, W and b, in torch's words: its dtype names for W, C++'s for b."""
    if weight is not None and weight.dtype != x.dtype:
        raise RuntimeError(f"expected scalar type {_torch_name(x.dtype)} but found "
                           f"{_torch_name(weight.dtype)}")
    if bias is not None and bias.dtype != x.dtype:
        raise RuntimeError(f"Input type ({_c_name(x.dtype)}) and bias type "
                           f"({_c_name(bias.dtype)}) should be the same")


def _c_name(dtype: np.dtype) -> str:
    """A dtype as the C++ type torch prints for it."""
    names = {"float32": "float", "float64": "double", "int64": "long int", "int32": "int",
             "int16": "short int", "int8": "signed char", "uint8": "unsigned char"}
    return names.get(dtype.name, dtype.name)


def _check_module(in_channels: int, out_channels: int, groups: int) -> None:
    """The module's refusals (ValueError, as torch's _ConvNd)."""
    if groups <= 0:
        raise ValueError(f"groups must be a positive integer, but got groups={groups}")
    if in_channels % groups:
        raise ValueError(f"in_channels must be divisible by groups, but got "
                         f"in_channels={in_channels}, groups={groups}")
    if out_channels % groups:
        raise ValueError(f"out_channels must be divisible by groups, but got "
                         f"out_channels={out_channels}, groups={groups}")


def _conv_repr(module: Module) -> str:
    """torch's _ConvNd.extra_repr: the sizes, then whatever differs from the defaults."""
    s = (f"{module.in_channels}, {module.out_channels}, kernel_size={module.kernel_size}, "
         f"stride={module.stride}")
    defaults = {"padding": (0, 0), "dilation": (1, 1), "output_padding": (0, 0), "groups": 1}
    for name, default in defaults.items():
        value = getattr(module, name, default)
        if value != default:
            s += f", {name}={value}"
    return s + (", bias=False" if module.bias is None else "")
