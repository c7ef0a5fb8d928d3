"""torch_native: each piece of the training loop as the real PyTorch call, named like its
manual twin."""
