"""Running op jobs: the graph flattened into steps, a runner for op steps, their results."""
