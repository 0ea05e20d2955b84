"""Suite-wide settings.

Hypothesis's timing checks (per-example deadline, slow input generation) measure the machine,
not vigil: CI runs on shared, noisy machines, so they are off. The properties are unchanged.
"""

from hypothesis import HealthCheck, settings

settings.register_profile("vigil", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("vigil")
