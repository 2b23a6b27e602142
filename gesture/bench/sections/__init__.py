"""The benchmark's sections, one module each: `figures(ctx) -> list[Figure]`, registered in suite.py."""
