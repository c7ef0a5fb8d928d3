"""Devices: manual computes with NumPy, on the CPU, so there is one device, "cpu".

Scripts name devices all the same (``device = torch.device("cuda" if
torch.cuda.is_available() else "cpu")``, ``x.to(device)``, ``model.to(device)``), and on
manual they keep working: ``cuda.is_available()`` is False, so such a script picks the CPU,
and moving to the CPU changes nothing. Asking for CUDA is refused as torch's CPU build
refuses it.

Reference: torch/csrc/Device.cpp (``torch.device``), torch/cuda/__init__.py
(``is_available``, ``_lazy_init``: "Torch not compiled with CUDA enabled").
"""

from __future__ import annotations

from typing import Any

NO_CUDA = "Torch not compiled with CUDA enabled (manual computes with NumPy, on the CPU)"
TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga",
         "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


class device:  # noqa: N801 (torch's name)
    """A device by its type and index: ``device("cpu")``, ``device("cuda", 0)``,
    ``device("cuda:1")``."""

    def __init__(self, type: Any = "cpu", index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index
        name, _, number = str(type).partition(":")
        if name not in TYPES:  # torch's device-string parser names the ones it knows
            raise RuntimeError(f"Expected one of {', '.join(TYPES)} device type at start of "
                               f"device string: {type}")
        self.type = name
        self.index = int(number) if number else index

    def __eq__(self, other: object) -> bool:  # a device only: device("cpu") != "cpu"
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"


CPU = device("cpu")


def check_device(where: Any) -> None:
    """Accept the CPU (or no device given); refuse any other, as torch's CPU build does."""
    if where is None or device(where).type == "cpu":
        return
    if device(where).type == "cuda":
        raise AssertionError(NO_CUDA)
    raise RuntimeError(f"manual computes with NumPy, on the CPU only: device '{where}' is not "
                       "available")
