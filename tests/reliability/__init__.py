"""The reliability suite: faults, bad input, load and secrets, with real processes."""
