"""Benchmarks: `python -m bench NAME`. Each figure is printed beside a baseline
measured in the same run, as a ratio, so results compare across machines."""
