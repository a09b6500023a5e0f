"""The shared vocabulary: conditions, durations, clock, results, redaction, paths.

Imports nothing else of tminus; every other layer may import it.
"""
