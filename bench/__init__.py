"""Benchmarks: ``python -m bench`` (or ``make bench``) runs them all.

Each benchmark prints its figure beside a baseline measured in the same run and the ratio, so the
figures mean something on any machine.  They are not tests: no test asserts a time.
"""
