"""How well Mult-Adds (and the weights' size) predict a network's measured latency.

Latency is fitted as a power law, :math:`t = e^{c_0} \\prod_i x_i^{c_i}`, by
least squares on the logarithms: every network then weighs by its *relative*
error, where a straight line fitted in milliseconds is ruled by the largest
network and can end with an intercept no network has. The fit is judged by
its leave-one-out error: each network's latency predicted by the fit of all
the others, as a percentage of what was measured. With the weights' size as
a second predictor, the same error says whether reading the weights explains
what Mult-Adds leave out. Introduced in chapter 8.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnlib import checks

__all__ = ["LatencyFit", "fit"]


@dataclass(frozen=True)
class LatencyFit:
    """A power law of latency in its predictors, fitted in log space (:func:`fit`)."""

    predictors: tuple[str, ...]  #: names of the predictors, in the order of ``exponents``
    log_scale: float  #: :math:`c_0`, the log of the milliseconds at every predictor = 1
    exponents: tuple[float, ...]  #: :math:`c_i`: latency grows as predictor ** exponent
    r2_log: float  #: share of the variance of log latency the fit explains
    residual_percent: np.ndarray  #: 100 (measured / fitted - 1) for each network, in the order given
    loo_percent: np.ndarray  #: 100 (measured / predicted by the others - 1) for each network
    networks: int

    @property
    def loo_median_percent(self) -> float:
        """Median absolute leave-one-out error, percent of the measured latency."""
        return float(np.median(np.abs(self.loo_percent)))

    @property
    def loo_max_percent(self) -> float:
        """Largest absolute leave-one-out error, percent of the measured latency."""
        return float(np.max(np.abs(self.loo_percent)))

    def predict(self, **values) -> float:
        """Latency (ms) the fit predicts for one network, e.g. ``predict(mult_adds=1.5e8)``."""
        missing = set(self.predictors) - set(values)
        if missing or set(values) - set(self.predictors):
            raise ValueError(f"predict needs exactly {self.predictors}, got {tuple(values)}.")
        logs = [np.log(checks.number(name, values[name], above=0)) for name in self.predictors]
        return float(np.exp(self.log_scale + np.dot(self.exponents, logs)))

    def __str__(self) -> str:
        terms = " × ".join(f"{name}^{power:.2f}" for name, power in zip(self.predictors, self.exponents))
        return (
            f"latency ∝ {terms}: R² (log) {self.r2_log:.3f} over {self.networks} networks; leave-one-out error "
            f"median {self.loo_median_percent:.1f} %, largest {self.loo_max_percent:.1f} %"
        )


def _solve(logs, target):
    design = np.column_stack([np.ones(len(target)), logs])
    coefficients, *_ = np.linalg.lstsq(design, target, rcond=None)
    return coefficients


def fit(latency_ms, **predictors) -> LatencyFit:
    """Fit ``log(latency) = c0 + Σ c_i log(predictor_i)`` and its leave-one-out error.

    Args:
        latency_ms: measured latencies (ms), one per network, all > 0.
        **predictors: one or more sequences of the same length, all > 0, e.g.
            ``mult_adds=...`` and ``params=...``.

    Returns:
        A :class:`LatencyFit`.

    Raises:
        ValueError: no predictor, lengths that differ, a value <= 0 or not
            finite, or fewer networks than coefficients + 2 (a leave-one-out
            fit needs one network more than it has coefficients).
    """
    target = np.asarray(latency_ms, dtype=float)
    if not predictors:
        raise ValueError("fit needs at least one predictor, e.g. mult_adds=[...].")
    columns = {name: np.asarray(values, dtype=float) for name, values in predictors.items()}
    for name, values in {"latency_ms": target, **columns}.items():
        if values.ndim != 1 or len(values) != len(target):
            raise ValueError(
                f"{name} must be 1-D with one value per network ({len(target)}), got shape {values.shape}."
            )
        if not np.all(np.isfinite(values)) or np.any(values <= 0):
            raise ValueError(f"{name} must hold finite values > 0 (they are fitted in log space), got {values}.")
    needed = len(columns) + 2
    if len(target) < needed:
        raise ValueError(f"fit needs at least {needed} networks for {len(columns)} predictor(s), got {len(target)}.")
    logs = np.column_stack([np.log(values) for values in columns.values()])
    y = np.log(target)
    coefficients = _solve(logs, y)
    fitted = coefficients[0] + logs @ coefficients[1:]
    spread = np.sum((y - y.mean()) ** 2)
    r2 = 1.0 - np.sum((y - fitted) ** 2) / spread if spread > 0 else float("nan")
    loo = np.empty(len(y))
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        others = _solve(logs[keep], y[keep])
        loo[i] = 100.0 * (np.exp(y[i] - others[0] - logs[i] @ others[1:]) - 1.0)
    return LatencyFit(
        predictors=tuple(columns),
        log_scale=float(coefficients[0]),
        exponents=tuple(float(c) for c in coefficients[1:]),
        r2_log=float(r2),
        residual_percent=100.0 * (np.exp(y - fitted) - 1.0),
        loo_percent=loo,
        networks=len(y),
    )
