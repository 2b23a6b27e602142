"""The benchmark's sections that live in their own modules."""
