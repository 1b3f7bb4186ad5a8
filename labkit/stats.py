"""How sure a measured accuracy is: the gap of two networks, and a mean over seeds.

An accuracy ``p`` measured on ``n`` test images is a mean of ``n`` right-or-wrong answers,
so it has a standard error ``sqrt(p (1 - p) / n)``; the difference of two such accuracies
has about ``sqrt(se_a² + se_b²)``, and a gap of less than twice that is a tie.

With ``n`` seeds the mean accuracy of a network is itself uncertain; the 95 % interval
``mean ± t(0.975, n - 1) · std / √n`` (Student's t, because the standard deviation is
estimated from the same few seeds) is where the mean of infinitely many seeds would
lie in 95 of 100 such studies.  With one seed there is no interval (NaN).
"""

from __future__ import annotations

import math

__all__ = ["accuracy_gap", "mean_std_interval"]


def mean_std_interval(values, level: float = 0.95) -> dict:
    """{"n", "mean", "std", "low", "high"} of ``values`` (NaN std and interval for fewer than two values)."""
    from scipy import stats

    values = [float(v) for v in values]
    n = len(values)
    mean = sum(values) / n if n else math.nan
    if n < 2:
        return {"n": n, "mean": mean, "std": math.nan, "low": math.nan, "high": math.nan}
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * std / math.sqrt(n)
    return {"n": n, "mean": mean, "std": std, "low": mean - half, "high": mean + half}


def accuracy_gap(a: float, b: float, images: int) -> dict:
    """How far accuracy ``a`` is above ``b``, both measured on the same ``images`` test images.

    Returns {"gap", "se", "tie", "verdict"}: ``gap = a - b``, ``se`` the standard error of
    the difference, ``tie`` when ``|gap| <= 2 se``.  Both networks see the same images, so
    their errors are correlated and this ``se`` is a little larger than the true one (a
    paired test such as McNemar's is sharper): a gap called "beyond the noise" here is.
    """
    if images < 1:
        raise ValueError(f"images must be at least 1, got {images}")
    se = math.sqrt((a * (1 - a) + b * (1 - b)) / images)
    tie = abs(a - b) <= 2 * se
    verdict = "within two standard errors: a tie" if tie else "beyond two standard errors"
    return {"gap": a - b, "se": se, "tie": tie, "verdict": verdict}
