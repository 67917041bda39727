"""When an observed null rate is really above the allowed one, and not sampling noise.

A schema inferred from a train split allows each column a null rate (`max_null_rate`). A small
split drawn from the same data misses or exceeds it by chance: 2 nulls in a valid split of 29 rows
(6.9%) against an allowed 6.0% is what a true rate of 3% gives one time in five. So a null rate
counts as above the allowed one only when it is above it with 99% confidence: when the lower
Wilson bound of the observed rate is above the allowed rate. On large tables the bound is close to
the observed rate, so real drift is still caught (6.9% against 6.0% is a violation at 10k rows).
A column allowed no nulls at all still fails on its first null: the schema says it has none.
"""

from __future__ import annotations

import math

CONFIDENCE_Z = 2.33  # one-sided 99%


def null_rate_exceeds(nulls: int, rows: int, max_rate: float) -> bool:
    """True if `nulls` of `rows` is above `max_rate` beyond sampling noise (see the module)."""
    if rows <= 0 or nulls / rows <= max_rate:
        return False
    if max_rate == 0:
        return True
    return wilson_lower_bound(nulls, rows) > max_rate


def wilson_lower_bound(successes: int, trials: int, z: float = CONFIDENCE_Z) -> float:
    """The lower end of the Wilson score interval of the rate successes / trials."""
    rate, z2 = successes / trials, z * z
    centre = rate + z2 / (2 * trials)
    spread = z * math.sqrt(rate * (1 - rate) / trials + z2 / (4 * trials * trials))
    return max(0.0, (centre - spread) / (1 + z2 / trials))
