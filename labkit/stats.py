"""How sure a mean over seeds is: mean, standard deviation and a t-interval.

With ``n`` seeds the mean accuracy of a network is itself uncertain; the 95 % interval
``mean ± t(0.975, n - 1) · std / √n`` (Student's t, because the standard deviation is
estimated from the same few seeds) is where the mean of infinitely many seeds would
lie in 95 of 100 such studies.  With one seed there is no interval (NaN).
"""

from __future__ import annotations

import math

__all__ = ["mean_std_interval"]


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
