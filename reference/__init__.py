"""reference: the one package that knows both twins.

It converts between NumPy, manual and torch tensors (``convert``), measures how far two
results are apart (``distance``), holds the tolerance of every piece with its reason
(``tolerances``), and is the ``dealias`` command line.
"""
