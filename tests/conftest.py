"""One torch thread, and hypothesis profiles: "ci" (the default: derandomized, bounded,
no deadline) and "dev" (more examples, random). Choose with HYPOTHESIS_PROFILE=dev."""

import os

import torch
from hypothesis import HealthCheck, settings

# torch's tiny operations run in microseconds on one thread, but can take a tenth of a second
# handing work to a second OpenMP thread on a busy machine; one thread also fixes the order
# in which torch's reductions add.
torch.set_num_threads(1)

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=60,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=300, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
