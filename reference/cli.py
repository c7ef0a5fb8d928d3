"""dealias: the PyTorch training loop, with every abstraction removed and put back.

Each piece of the loop exists twice: by hand in NumPy (manual/) and as the real PyTorch call
(torch_native/). This command shows them side by side and measures how far apart they are.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from reference import checks, pairs

# The tools are imported by the commands that use them: ``dealias run`` must not pay for
# importing torch, which the script's manual run never uses.

# choices the parsers offer (tests/test_cli.py checks them against the tools' own lists)
DEMO_OPTIMIZERS = ("sgd", "adam")
TRACE_MODELS = ("linear", "mlp", "cnn")
TRACE_OPTIMIZERS = ("sgd", "adam")

EXAMPLES = """\
examples:
  dealias demo                          fit the book's thermometer three ways
  dealias pairs                         list the pieces and their files
  dealias show sgd                      manual/sgd.py beside torch_native/sgd.py
  dealias check                         every pair, float32 and float64
  dealias check --device cuda           the torch side on the GPU
  dealias run train.py                  your torch script on the manual engine
  dealias run --compare train.py        ... and on torch, compared step by step
  dealias doctor train.py               the bugs your loop shows, named
  dealias trace --model mlp --optimizer adam --steps 50
  dealias draw conv2d --padding 1       a convolution, drawn frame by frame
  dealias site --out site               the twins side by side, as web pages
  dealias pitfalls forgotten-zero-grad  a classic bug and its fix, run on both engines
"""

# each command's examples, shown under its --help
COMMAND_EXAMPLES = {
    "demo": """\
  dealias demo                          5,000 epochs of SGD, a row every 500
  dealias demo --optimizer adam --lr 0.1 --every 1000
  dealias demo --plot curves.png        the three loss curves, drawn (matplotlib)""",
    "pairs": """\
  dealias pairs                         every piece: its two files, what it is""",
    "show": """\
  dealias show sgd                      manual/sgd.py beside torch_native/sgd.py
  dealias show linear --parity          how linear matches torch at the edges
  dealias show conv2d | less            plain text when piped""",
    "check": """\
  dealias check                         every pair, float32 and float64
  dealias check linear sgd --examples 200 --dtype float64
  dealias check adam --seed 7           other random cases
  dealias check --device cuda           the torch side on the GPU""",
    "trace": """\
  dealias trace --model mlp --optimizer adam --steps 50
  dealias trace --model mlp --steps 500 --lr 0.5   teacher-forced: agrees
  dealias trace --free --model mlp --steps 500     running free: drift, no verdict
  dealias trace --script train.py --epochs 1       your script, as run --compare""",
    "site": """\
  dealias site --out site               then open site/index.html
  dealias site --out site --examples 5  quicker: fewer checks on the index""",
    "pitfalls": """\
  dealias pitfalls                      the 24, one line each
  dealias pitfalls forgotten-zero-grad  the buggy loop beside its fix, run on both engines""",
}
def _examples(command: str) -> dict:
    """A command's parser options: its examples under its --help, as written."""
    return {"epilog": "examples:\n" + COMMAND_EXAMPLES[command] + "\n",
            "formatter_class": argparse.RawDescriptionHelpFormatter}


class UsageError(Exception):
    """A mistake on the command line: reported in one line, exit status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    console = Console()
    if not console.is_terminal:  # piped or captured: a wide page rather than cut-off cells
        console = Console(width=max(console.width, 120))
    try:
        return args.run(args, console)
    except UsageError as error:
        Console(stderr=True).print(f"dealias {args.command}: error: {error}", markup=False,
                                   highlight=False, soft_wrap=True)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dealias", description=__doc__, epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("demo", help="fit the book's thermometer three ways, side by side",
                              **_examples("demo"))
    run.add_argument("--epochs", type=_positive_int, default=5000, help="default: 5000")
    run.add_argument("--lr", type=_positive_float, default=None,
                     help="learning rate (default: 1e-2 for sgd, 1e-1 for adam)")
    run.add_argument("--optimizer", choices=DEMO_OPTIMIZERS, default="sgd", help="default: sgd")
    run.add_argument("--every", type=_positive_int, default=None,
                     help="a table row every N epochs (default: epochs / 10)")
    run.add_argument("--plot", metavar="FILE.png", help="write the three loss curves")
    run.set_defaults(run=_demo)

    run = commands.add_parser("pairs", help="list the pieces, their files and what they do",
                              **_examples("pairs"))
    run.set_defaults(run=_pairs)

    run = commands.add_parser("show", help="print a piece's two files side by side",
                              **_examples("show"))
    run.add_argument("piece", help="a piece, as listed by 'dealias pairs'")
    run.add_argument("--parity", action="store_true",
                     help="print the piece's parity modules: how it matches torch at the edges")
    run.set_defaults(run=_show)

    run = commands.add_parser("check", help="run the equivalence checks, print the distances",
                              **_examples("check"))
    run.add_argument("pieces", nargs="*", metavar="PIECE", help="default: every piece")
    run.add_argument("--examples", type=_positive_int, default=50, help="default: 50")
    run.add_argument("--dtype", choices=("float32", "float64"), action="append",
                     help="default: both")
    run.add_argument("--seed", type=int, default=0,
                     help="the seed of the random cases (default: 0)")
    run.add_argument("--device", default="cpu",
                     help="where the torch side runs, e.g. cuda (default: cpu)")
    run.set_defaults(run=_check)

    run = commands.add_parser("trace", help="run manual and torch loops in lockstep",
                              **_examples("trace"))
    run.add_argument("--model", choices=TRACE_MODELS, default="linear",
                     help="the built-in model (default: linear)")
    run.add_argument("--optimizer", choices=TRACE_OPTIMIZERS, default="sgd",
                     help="default: sgd")
    run.add_argument("--steps", type=_positive_int, default=20,
                     help="optimizer steps to compare (default: 20)")
    run.add_argument("--seed", type=int, default=0,
                     help="the seed of the weights and the data (default: 0)")
    run.add_argument("--lr", type=_positive_float, default=None,
                     help="the learning rate (default: the model's own)")
    run.add_argument("--device", default="cpu",
                     help="where the torch loop runs, e.g. cuda (default: cpu)")
    run.add_argument("--free", action="store_true",
                     help="run the loops free (no teacher forcing): report drift, no verdict")
    run.add_argument("--script", metavar="SCRIPT.py",
                     help="your own script instead of a built-in model (as run --compare)")
    run.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS",
                     help="with --script: the script's own arguments")
    run.set_defaults(run=_trace)

    _add_draw_parsers(commands)
    commands.choices["draw"].set_defaults(run=_draw)
    run = commands.add_parser("site", help="build a static reading room: twins side by side",
                              **_examples("site"))
    run.add_argument("--out", required=True, metavar="DIR", help="the folder to write")
    run.add_argument("--examples", type=_positive_int, default=20,
                     help="examples per check shown on the index (default: 20)")
    run.set_defaults(run=_site)

    run = commands.add_parser("pitfalls", help="classic training-loop bugs, each with its fix",
                              **_examples("pitfalls"))
    run.add_argument("name", nargs="?", metavar="NAME", help="a pitfall (default: list them)")
    run.set_defaults(run=_pitfalls)

    run = commands.add_parser("run", help="run your torch script on the manual engine",
                              epilog=RUN_EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("--compare", action="store_true",
                     help="run it on both engines in lockstep and compare them step by step")
    run.add_argument("--steps", type=_positive_int, default=None,
                     help="with --compare: stop after this many optimizer steps")
    run.add_argument("--drift", action="store_true",
                     help="with --compare: also run manual free, and show its drift")
    run.add_argument("script", metavar="SCRIPT.py", help="the script, run as python would")
    run.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS",
                     help="the script's own arguments")
    run.set_defaults(run=_run)

    run = commands.add_parser("doctor", help="run your training loop, name the pitfalls it shows",
                              epilog=DOCTOR_EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("target", metavar="TARGET",
                     help="a step function, FILE.py:FUNCTION or package.module:FUNCTION, or a "
                          "whole script, SCRIPT.py")
    run.add_argument("--steps", type=_positive_int, default=None,
                     help="a step function: how many calls (default 5); a script: how many "
                          "steps of each optimizer to watch (default 10)")
    run.add_argument("--engine", choices=("manual", "torch"), default=None,
                     help="a script's engine: manual, as dealias run (the default), or torch")
    run.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS",
                     help="a script's own arguments (doctor's options go before SCRIPT.py)")
    run.set_defaults(run=_doctor)
    return parser


RUN_EPILOG = """\
The script runs as 'python SCRIPT.py ARGS' would, with 'import torch' (and torch.nn,
torch.optim, torch.utils.data, ...) resolving to manual's namespaces: the real torch computes
nothing for it. A torch name manual lacks stops it with one line naming it, exit status 2;
otherwise the exit status is the script's own.

examples:
  dealias run train.py                    train.py on the manual engine
  dealias run train.py --epochs 1         the script's own arguments follow it
  dealias run --compare train.py          both engines in lockstep, compared step by step
"""


DOCTOR_EPILOG = """\
the step: a function of no arguments that runs one training step on a model and an
optimizer (module globals, or attributes of your objects), and returns loss.item(). A step
that calls optimizer.step() every k-th call (gradient accumulation) is one too. For
example my_step.py:

  import torch

  torch.manual_seed(0)
  model = torch.nn.Linear(3, 1)
  optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
  x, y = torch.randn(16, 3), torch.randn(16, 1)

  def step():
      loss = torch.nn.functional.mse_loss(model(x), y)   # no optimizer.zero_grad()
      loss.backward()
      optimizer.step()
      return loss.item()

the script: a whole training script with its own arguments after it, run as 'dealias run'
runs it (on manual; --engine torch for the real torch) until every optimizer it steps has
taken --steps steps. Give it steps enough to reach an evaluation, for train()/eval() to be
checked there.

doctor watches, through the engines' hooks, every optimizer step, backward, outermost
module call, loss function and clip_grad call, and names the pitfalls they show with the
evidence (which parameter, which optimizer, which step, the numbers); 'dealias pitfalls'
lists them. The loop's warnings are shown too. Exit status 1 when it names a pitfall or
the loop raises, 0 when it finds none, 3 when doctor itself failed (its own bug, reported
as such); torch and manual loops both work.

examples:
  dealias doctor my_step.py:step                 run it 5 times, name the pitfalls
  dealias doctor my_package.train:step --steps 10
  dealias doctor tests/doctor_cases/forgotten_zero_grad.py:buggy
  dealias doctor train.py                        a whole script, on manual
  dealias doctor --engine torch --steps 20 train.py --epochs 1
  dealias doctor benchmarks/doctor/b23_eval_not_reset.py
"""


DRAW_EXAMPLES = """\
examples:
  dealias draw conv2d --in 5x5 --kernel 3 --stride 1 --padding 1
  dealias draw conv2d --in 5x5 --kernel 3 --dilation 2 --out dilated.gif
  dealias draw conv_transpose2d --in 3x3 --kernel 3 --stride 2 --padding 1
  dealias draw graph                     the thermometer's loss, as DOT and a picture
  dealias draw graph --expr "(a * b + a).sum()" --leaf a=1,2 --leaf b=3,4 --out ab.svg
"""


def _size(text: str) -> tuple[int, int]:
    """"5x5", "4x6" or "3": a (height, width) of positive whole numbers."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:[xX]\s*(\d+))?\s*", text)
    if not match or int(match[1]) < 1 or (match[2] is not None and int(match[2]) < 1):
        raise argparse.ArgumentTypeError(f"{text!r} is not a size: write HxW (5x5) or N")
    return int(match[1]), int(match[2] or match[1])


def _whole(low: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not re.fullmatch(r"\d+", text.strip()) or int(text) < low:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= {low}")
        return int(text)
    return parse


def _add_draw_parsers(commands) -> None:
    """``draw conv2d``, ``draw conv_transpose2d`` and ``draw graph`` under ``commands``."""
    from reference.teaching import pictures

    parser = commands.add_parser("draw", help="draw a convolution step by step, or a graph",
                                 epilog=DRAW_EXAMPLES,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    kinds = parser.add_subparsers(dest="picture", required=True, metavar="PICTURE")
    for name, help_text in (("conv2d", "the kernel window at every output element"),
                            ("conv_transpose2d", "every input pixel stamping the kernel")):
        one = kinds.add_parser(name, help=help_text, epilog=DRAW_EXAMPLES,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        one.add_argument("--in", dest="size", type=_size, default=(5, 5) if name == "conv2d"
                         else (3, 3), metavar="HxW",
                         help=f"input size (default: {'5x5' if name == 'conv2d' else '3x3'})")
        one.add_argument("--kernel", type=_size, default=(3, 3), metavar="KxK",
                         help="kernel size, 3 or 3x2 (default: 3)")
        for option, low in (("--stride", 1), ("--padding", 0), ("--dilation", 1)):
            one.add_argument(option, type=_whole(low), default=1 if low else 0)
        if name == "conv_transpose2d":
            one.add_argument("--output-padding", type=_whole(0), default=0)
        one.add_argument("--out", default=f"{name}.png", metavar="FILE",
                         help=".png or .svg (summary and frames), .gif (animated frames)")
    one = kinds.add_parser("graph", help="the manual engine's graph, gradients on the edges",
                              epilog=DRAW_EXAMPLES,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    one.add_argument("--expr", help="a small expression over the leaves, e.g. '(a * b).sum()' "
                     f"(allowed: {pictures.ALLOWED}); default: the thermometer's loss")
    one.add_argument("--leaf", action="append", default=[], metavar="NAME=VALUES",
                     help="a leaf for --expr: a=2, a=1,2,3 or m=1,2;3,4 (float32)")
    one.add_argument("--out", default="graph.png", metavar="FILE",
                     help=".png or .svg (and the DOT text beside it), or .dot")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not positive")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not positive")
    return value


def _usable_device(text: str) -> str:
    """A torch device that this machine has and that holds values: 'cpu', 'cuda',
    'cuda:1', ...; otherwise a usage error in one line."""
    import torch

    try:
        device = torch.device(text)
    except RuntimeError:
        raise UsageError(f"--device {text}: not a torch device (e.g. cpu, cuda, cuda:1)"
                         ) from None
    if device.type == "meta":
        raise UsageError(f"--device {text}: meta tensors hold no values to compare")
    try:
        torch.empty(0, device=device)
    except (RuntimeError, AssertionError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise UsageError(f"--device {text}: not usable here: {reason}") from None
    return text


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=True)


# -- demo ------------------------------------------------------------------------------------

def _demo(args: argparse.Namespace, console: Console) -> int:
    from reference.teaching import demo

    lr = args.lr if args.lr is not None else demo.DEFAULT_LR[args.optimizer]
    every = args.every or max(1, args.epochs // 10)
    if args.plot:
        demo.check_plot_target(args.plot, UsageError)
    with _progress(console) as progress:
        task = progress.add_task("training", total=3 * args.epochs)
        runs = demo.run_all(args.epochs, lr, args.optimizer,
                            on_epoch=lambda: progress.advance(task))
    console.print(demo.table(runs, every, args.optimizer, lr))
    console.print(demo.summary(runs))
    if args.plot:
        demo.plot(runs, args.plot, args.optimizer, lr)
        console.print(f"loss curves written to {args.plot}")
    return 0


# -- pairs and show --------------------------------------------------------------------------

def _pairs(args: argparse.Namespace, console: Console) -> int:
    from reference import pairs

    table = Table(title="the pairs", title_justify="left", show_lines=True)
    for column in ("piece", "files", "what it is"):
        table.add_column(column, overflow="fold", no_wrap=column != "what it is")
    for name, pair in pairs.discover().items():
        what = pair.summary.split(": ", 1)[-1].split(". ")[0].rstrip(".")
        table.add_row(name, f"manual/{name}.py\ntorch_native/{name}.py", what)
    console.print(table)
    return 0


def _show(args: argparse.Namespace, console: Console) -> int:
    from reference.teaching import show

    pair = _pair(args.piece)
    if not console.is_terminal:
        console = Console(width=max(console.width, 200), no_color=True, highlight=False)
    plain = not console.is_terminal
    if args.parity:
        for path in pair.parity_paths or []:
            console.print(f"manual/_parity/{path.name}", style="bold")
            console.print(show.code(path.read_text(), plain))
        if not pair.parity_paths:
            console.print(f"{pair.name} has no parity module: the piece file is all of it")
        return 0
    console.print(show.side_by_side(pair, plain=plain))
    if show.parity_note(pair):
        console.print(show.parity_note(pair), markup=False, highlight=False)
    return 0


def _pair(name: str) -> pairs.Pair:
    from reference import pairs

    found = pairs.discover()
    if name not in found:
        raise UsageError(f"unknown piece {name!r}; choose from: {', '.join(found)}")
    return found[name]


# -- check -----------------------------------------------------------------------------------

def _check(args: argparse.Namespace, console: Console) -> int:
    from reference import checks

    known = sorted(checks.CHECKS)
    unknown = [p for p in args.pieces if p not in checks.CHECKS]
    if unknown:
        raise UsageError(f"unknown piece {unknown[0]!r}; choose from: {', '.join(known)}")
    pieces = args.pieces or known
    dtypes = args.dtype or ["float32", "float64"]
    args.device = _usable_device(args.device)
    results = []
    with _progress(console) as progress:
        task = progress.add_task("checking", total=len(pieces) * len(dtypes) * args.examples)
        for piece in pieces:
            for dtype in dtypes:
                progress.update(task, description=f"{piece} ({dtype})")
                results.append(checks.run(piece, args.examples, dtype, args.seed,
                                          progress=lambda: progress.advance(task),
                                          device=args.device))
    console.print(_check_table(results, args.device))
    failed = [r for r in results if not r.ok]
    for r in failed:
        console.print(f"[red]{r.piece} ({r.dtype}) disagrees:[/red] {r.worst.label}: "
                      f"{r.worst.distance}", highlight=False, soft_wrap=True)
    return 1 if failed else 0


def _check_table(results: list[checks.CheckResult], device: str = "cpu") -> Table:
    table = Table(title=f"twins compared (torch on {device})", title_justify="left",
                  box=box.SIMPLE_HEAD,
                  pad_edge=False,
                  caption="* ULP of the scale (sums, products, training runs): "
                  "see reference/tolerances.py" if any(
                      r.worst.tolerance.of_scale for r in results) else None,
                  caption_justify="left")
    for column in ("piece", "dtype", "examples", "max abs", "max ULP", "allowed", "verdict"):
        table.add_column(column, no_wrap=True,
                         justify="right" if column[:2] in ("ma", "ex", "al") else "left")
    for r in results:
        tol, gap = r.worst.tolerance, r.worst.distance
        table.add_row(r.piece, str(r.dtype), str(r.examples), f"{gap.max_abs:.2g}",
                      f"{gap.max_ulp:.3g}", f"{r.worst.allowed:g}{'*' if tol.of_scale else ''}",
                      "[green]agree[/green]" if r.ok else "[red]DISAGREE[/red]")
    return table


# -- trace -----------------------------------------------------------------------------------

def _trace(args: argparse.Namespace, console: Console) -> int:
    from reference.debugging import models, trace

    if args.script:
        return _run(argparse.Namespace(compare=True, script=args.script, args=args.args,
                                       steps=args.steps, drift=True), console)
    device = _usable_device(args.device)
    sides = [models.build_side(args.model, args.optimizer, side, args.seed, args.lr,
                               device) for side in ("manual", "torch", "manual")]
    data = models.batches(args.model, args.seed)
    how = "running free" if args.free else "teacher-forced: each step from torch's state"
    console.print(f"manual vs torch on {device}, {args.model} + {args.optimizer}, seed "
                  f"{args.seed}, {how}: the largest distance at each stage, in ULP of each "
                  "tensor's scale; drift: a free-running manual loop's parameters",
                  highlight=False)
    columns = ("step", *trace.STAGES, "drift")
    console.print("".join(f"{name:>10}" for name in columns), style="bold")
    def row(step: int, distances: dict[str, float], drift: float | None) -> None:
        cells = [f"{distances[s]:.3g}" if s in distances else "-" for s in trace.STAGES]
        drift_cell = "-" if drift is None else f"{drift:.3g}"
        console.print("".join(f"{cell:>10}" for cell in (str(step), *cells, drift_cell)),
                      highlight=False)

    report = trace.trace(sides[0], sides[1], data, args.steps, on_step=row,
                         forced=not args.free, free=None if args.free else sides[2])
    if args.free:
        console.print(f"free-running: no verdict; the loops drifted to "
                      f"{max(report.rows[-1].values()):g} ULP of scale by step {args.steps} "
                      "(summation order, amplified by training: drift, not a failure)")
        return 0
    if report.agree:
        console.print(f"[green]the loops agree for all {args.steps} steps[/green] "
                      f"(allowed {report.tolerance:g} ULP of scale per step)")
        return 0
    console.print(f"[red]the loops part at[/red] {report.divergence}", highlight=False,
                  soft_wrap=True)
    return 1


# -- draw and site ---------------------------------------------------------------------------

def _draw(args: argparse.Namespace, console: Console) -> int:
    from reference.teaching import draw as drawing
    from reference.teaching import pictures

    with console.status(f"drawing {args.picture}"):
        try:
            written = drawing.draw(args)
        except pictures.DrawError as error:
            raise UsageError(str(error)) from None
    for path in written:
        console.print(f"written: {path}", highlight=False)
    return 0


def _site(args: argparse.Namespace, console: Console) -> int:
    from reference.teaching import site as reading_room

    with _progress(console) as progress:
        task = progress.add_task("building the site", total=None)

        def step(what: str, done: int, total: int) -> None:
            progress.update(task, description=what, completed=done, total=total)

        try:
            index = reading_room.build(args.out, args.examples, on_step=step)
        except reading_room.SiteError as error:
            raise UsageError(str(error)) from None
    console.print(f"site written: open {index} in a browser ({index.resolve().as_uri()})",
                  highlight=False, soft_wrap=True)
    return 0


# -- run, pitfalls and doctor ---------------------------------------------------------------------

def _run(args: argparse.Namespace, console: Console) -> int:
    from reference.debugging import run as running

    given = [option for option, value in (("--steps", args.steps), ("--drift", args.drift))
             if value not in (None, False)]
    if given and not args.compare:
        are = "is an option" if len(given) == 1 else "are options"
        raise UsageError(f"{' and '.join(given)} {are} of --compare: dealias run --compare "
                         "[--steps N] [--drift] SCRIPT.py")
    try:
        if args.compare:
            from reference.debugging import compare

            return compare.main(args.script, args.args, console, args.steps, args.drift)
        return running.run_script(args.script, args.args)
    except running.ScriptStopError as stop:
        raise UsageError(str(stop)) from None


def _pitfalls(args: argparse.Namespace, console: Console) -> int:
    from reference.teaching.pitfalls import PITFALLS
    from reference.teaching.pitfalls import view as pitfall_view

    if args.name is None:
        console.print(pitfall_view.listing())
        return 0
    if args.name not in PITFALLS:
        raise UsageError(f"unknown pitfall {args.name!r}; choose from: {', '.join(PITFALLS)}")
    pitfall = PITFALLS[args.name]
    with console.status("running") as status:
        runs = pitfall_view.measure(pitfall, on_run=lambda what: status.update(f"running the "
                                                                                f"{what}"))
    if not console.is_terminal:
        console = Console(width=max(console.width, 200), no_color=True, highlight=False)
    console.print(pitfall_view.detail(pitfall, runs, plain=not console.is_terminal))
    return 0


def _doctor(args: argparse.Namespace, console: Console) -> int:
    from reference.debugging import doctor

    script = args.target.endswith(".py")        # FILE.py:FUNCTION ends with the function
    if not script and args.args:                # options after a step function's name
        args = _parser().parse_args(["doctor", *args.args, args.target])
    if not script and args.engine:
        raise UsageError(f"--engine is for a whole script (SCRIPT.py), not {args.target}")
    try:
        if script:
            diagnosis = doctor.diagnose_script(args.target, args.args, args.steps or 10,
                                               args.engine or "manual")
        else:
            with console.status(f"running {args.target}"):
                diagnosis = doctor.diagnose(args.target, args.steps or 5)
    except doctor.DoctorError as error:
        raise UsageError(str(error)) from None
    console.print(doctor.report(diagnosis), highlight=False, soft_wrap=True)
    if diagnosis.findings or diagnosis.error or diagnosis.status:
        return 1
    return 3 if diagnosis.faults else 0


if __name__ == "__main__":
    sys.exit(main())
