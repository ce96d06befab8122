"""Helpers shared by the test suite and the benchmark runner."""
