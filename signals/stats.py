"""Interval estimates for enforcement quality: proportions from small samples.

A policy manager reads "precision 0.92" very differently on 12 items and on 1,200, so every
rate vigil reports carries its sample size and a 95% interval.
"""

import math

Z95 = 1.959963984540054  # the two-sided 95% normal quantile


def wilson(k: float, n: float, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion k/n ((0, 1) when n is 0).

    Chosen over the normal (Wald) interval because it stays inside [0, 1] and keeps its
    coverage near 0 and 1 and on small samples, which is where rule precision usually sits.
    """
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    # at k = 0 or k = n the bound is p itself; rounding must not leave p outside
    return max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half))


def ratio(k: float, n: float) -> float | None:
    """k/n, or None when there is nothing to divide by."""
    return k / n if n else None


def f1(tp: int, fp: int, fn: int) -> tuple[float | None, tuple[float, float]]:
    """F1 and an approximate 95% interval.

    F1 = tp / (tp + (fp + fn) / 2) is a proportion of tp among the "effective" trials
    tp + (fp + fn) / 2, so the Wilson interval of that proportion serves as its interval (an
    approximation: the errors are not Bernoulli trials, but it widens correctly with fewer
    items and needs no resampling, so it is deterministic).
    """
    n = tp + (fp + fn) / 2
    return ratio(tp, n), wilson(tp, n)


__all__ = ["Z95", "f1", "ratio", "wilson"]
