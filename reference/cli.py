"""The ``dealias`` command line."""

from __future__ import annotations

import argparse
import sys

import numpy as np
import torch

import manual.linear_regression as hand
import torch_native.linear_regression as auto
from reference.distance import distance


def demo(epochs: int = 5000, lr: float = 1e-2) -> int:
    """The book's thermometer fitted by the hand-derived gradient and by torch's autograd."""
    t_u, t_c = np.float32(hand.T_U) * np.float32(0.1), np.float32(hand.T_C)
    start = np.float32([1.0, 0.0])
    fitted_hand = np.asarray(hand.training_loop(epochs, lr, start, t_u, t_c))
    fitted_torch = auto.training_loop(epochs, lr, torch.tensor(start), torch.tensor(t_u),
                                      torch.tensor(t_c)).numpy()
    gap = distance(fitted_hand, fitted_torch)
    print(f"thermometer, {epochs} epochs, lr {lr}: params [w, b]")
    print(f"  hand-derived gradient  {fitted_hand}")
    print(f"  torch autograd         {fitted_torch}")
    print(f"  difference             {fitted_hand - fitted_torch}  ({gap.max_ulp:g} ULP)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dealias", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("demo", help="fit the book's thermometer with both twins")
    run.add_argument("--epochs", type=int, default=5000)
    run.add_argument("--lr", type=float, default=1e-2)
    args = parser.parse_args(argv)
    return demo(args.epochs, args.lr)


if __name__ == "__main__":
    sys.exit(main())
