"""Benchmarks of WeerAan (``make bench``): the figures of the design's Performance section."""
