"""The parity layer: what it takes for the manual twins to behave like torch at the edges.

A piece file (manual/linear.py, ...) holds the rule: its equations, the derivative, the
record into the graph. Everything that exists only so that the twin behaves like torch where
torch's behaviour is not the rule lives here, one module per piece that needs it, plus the
modules the pieces share:

* ``dtypes``:   torch's names for dtypes and its type promotion (Python numbers, 0-d tensors)
* ``rounding``: torch's fused multiply-adds, emulated with one rounding
* ``engine``:   the engine's refusals in torch's words, and the names of its graph nodes

Each piece module says, in its docstring, what torch does at that edge and where in torch's
source. NumPy and the standard library only, like the rest of manual/.
"""
