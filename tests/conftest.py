"""One torch thread, and hypothesis profiles: "ci" (the default: derandomized, bounded,
no deadline), "dev" (more examples, random) and "mutation" (derandomized, 15 examples: the
default under mutmut, which runs the tests once per mutant; a mutant that survives 15
examples counts as surviving, so the score is if anything an underestimate).
Choose with HYPOTHESIS_PROFILE=dev."""

import os

import torch
from hypothesis import HealthCheck, settings

import manual._parity.gelu

# torch's tiny operations run in microseconds on one thread, but can take a tenth of a second
# handing work to a second OpenMP thread on a busy machine; one thread also fixes the order
# in which torch's reductions add.
torch.set_num_threads(1)
manual._parity.gelu.THREADS = 1  # gelu splits its blocks between threads as torch does

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=60,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=300, deadline=None, print_blob=True)
settings.register_profile("mutation", settings.get_profile("ci"), max_examples=15)
_under_mutmut = "MUTANT_UNDER_TEST" in os.environ
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "mutation" if _under_mutmut else "ci"))
