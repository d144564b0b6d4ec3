"""Loaded into every pytest run that mutmut makes (``-p mutation.pytest_plugin``).

mutmut calls ``pytest.main`` several times in one process (stats, clean run, then
forked workers), so hypothesis sees one test run from several executors and its
``differing_executors`` health check fails the clean run. Mutated code also runs
slower through mutmut's trampolines, so a deadline would turn slowness into false
kills. The profile below drops both, derandomizes (a mutant is killed or not the
same way every run) and keeps no example database inside ``mutants/``.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "mutation",
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.differing_executors, HealthCheck.too_slow],
)
settings.load_profile("mutation")
