"""Filters: FineWeb-2 quality heuristics, minimum length, fastText language identification."""
