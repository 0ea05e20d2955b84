"""How rare a surprise is, learned from the series' own surprises: peaks over threshold.

Extreme value theory says the excesses of a variable over a high threshold follow a
generalised Pareto distribution whatever the variable's own distribution (Pickands 1975;
Balkema and de Haan 1974); SPOT (Siffer et al., KDD 2017) uses it to set alarm thresholds on
streams without assuming a distribution. vigil keeps the exponential member of that family
(shape 0), whose two parameters update in O(1) per bucket with bounded state, which matters at
tens of thousands of keys:

    P(z > x) = rate * exp(-(x - FROM) / excess)    for x > FROM

where `rate` is how often standardised residuals exceed FROM and `excess` their mean excess
above it. A series with heavy tails learns a high rate and a long excess, so its big residuals
page less; there is no cap on how heavy the tails may be. Both start from a Laplace
distribution's values (the residuals are standardised by their mean absolute deviation, the
Laplace scale), worth PRIOR_EXCEEDANCES exceedances, and forget over `memory` buckets.
"""

import math

FROM = 3.0  # the threshold, in robust scales: well into the tail, often enough to learn from
LAPLACE_RATE = 0.5 * math.exp(-FROM)  # P(z > FROM) for a Laplace residual with scale 1
# ... and for a normal one: its mean absolute deviation is sqrt(2 / pi) of its sd
_NORMAL_SD = FROM * math.sqrt(2 / math.pi)  # FROM mean absolute deviations, in sds
NORMAL_RATE = 0.5 * math.erfc(_NORMAL_SD / math.sqrt(2))
# its mean excess over FROM (the inverse Mills ratio less the threshold), in deviations
NORMAL_EXCESS = (
    math.exp(-(_NORMAL_SD**2) / 2) / math.sqrt(2 * math.pi) / NORMAL_RATE - _NORMAL_SD
) / math.sqrt(2 / math.pi)
PRIOR_EXCEEDANCES = 2.0  # how much the prior counts, in exceedances
EXCESS_MEMORY = 100  # exceedances the mean excess remembers
MAX_EXCESS_JUMP = 20.0  # one excess teaches at most this many mean excesses (a wild outlier)


class Tail:
    """The upper tail of a series' standardised residuals."""

    __slots__ = ("exceedances", "excess", "in_run", "prior_rate", "rate", "seen")

    def __init__(
        self,
        rate: float = LAPLACE_RATE,
        excess: float = 1.0,
        seen: int = 0,
        exceedances: int = 0,
        in_run: bool = False,
        prior_rate: float = LAPLACE_RATE,
    ) -> None:
        self.in_run = in_run  # the last residual learned exceeded FROM
        self.prior_rate = prior_rate  # the rate it started from (not stored: its kind's)
        self.rate = rate
        self.excess = excess
        self.seen = seen  # residuals learned from
        self.exceedances = exceedances  # ... of which above FROM

    @classmethod
    def normal(cls) -> "Tail":
        """A tail starting from a normal residual's (light: counts with Poisson noise)."""
        return cls(NORMAL_RATE, NORMAL_EXCESS, prior_rate=NORMAL_RATE)

    def p(self, z: float) -> float:
        """The tail probability of a residual at least z (1.0 at or below FROM)."""
        if z <= FROM:
            return 1.0
        return self.rate * math.exp(-(z - FROM) / self.excess)

    def z_for(self, p: float) -> float:
        """The residual whose tail probability is p (inverse of `p` for p < rate)."""
        if p >= self.rate:
            return FROM
        return FROM + self.excess * math.log(self.rate / p)

    def learn(self, z: float, memory: float) -> None:
        """Count one residual: the exceedance rate over `memory` residuals, the mean excess
        over the last EXCESS_MEMORY exceedances, each starting as a mean with the prior.

        Exceedances are declustered by runs (Coles 2001, 5.3.2): a run of residuals above
        FROM counts as one exceedance, its first. Peaks over threshold assumes independent
        exceedances; a run is one event, and the take-off of a trend is exactly such a run,
        which must not teach the tail that trends are noise while it climbs."""
        run = z > FROM
        if run and self.in_run:
            return
        self.in_run = run
        self.seen += 1
        # the prior is worth PRIOR_EXCEEDANCES exceedances at the rate it started from
        prior = PRIOR_EXCEEDANCES / self.prior_rate
        self.rate += ((1.0 if run else 0.0) - self.rate) / min(memory, self.seen + prior)
        if run:
            self.exceedances += 1
            excess = min(z - FROM, MAX_EXCESS_JUMP * self.excess)
            weight = min(EXCESS_MEMORY, self.exceedances + PRIOR_EXCEEDANCES)
            self.excess += (excess - self.excess) / weight
