"""The benchmark: ``python -m bench`` (``make bench``). See docs/benchmarks.md.

One module per measurement: ``cpu`` (the tap's own cost against the floor), ``first_load``
(all ten streams under Looker latency, one tap or a fan-out), ``page_size``; ``procs`` runs
and measures the processes, ``latency`` holds the simulated Looker, ``report`` the output.
``floor.py`` and ``rusage_exec.py`` are scripts run as their own processes.
"""
