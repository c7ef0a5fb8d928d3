"""The debugging tools, for people who bring their own loop: run a torch script on the manual
engine and compare it with torch step by step (run), name the bugs a loop shows (doctor), the
built-in models in lockstep (trace), a custom optimizer step by step (optimizers)."""
