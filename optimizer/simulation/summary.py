"""Figures of a simulation over seeds: per strategy and period, with intervals over seeds.

Share of oracle is computed per seed (strategy / oracle in the same world), then averaged;
intervals are two-sided 95% Student-t intervals of the mean over seeds (none for one seed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from optimizer.simulation.loop import SeedResult

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Estimate:
    """Mean over seeds with a 95% interval."""

    mean: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float]:
        return {"mean": self.mean, "low": self.low, "high": self.high}


def estimate(samples: FloatArray) -> Estimate:
    values = np.asarray(samples, dtype=np.float64)
    mean = float(values.mean())
    if values.size < 2:
        return Estimate(mean, mean, mean)
    half = float(stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size))
    return Estimate(mean, mean - half, mean + half)


@dataclass
class Summary:
    """Arrays over (seeds, strategies, periods) and the derived figures."""

    strategies: tuple[str, ...]
    margin: FloatArray
    expected_margin: FloatArray
    spend: FloatArray
    spend_by_decile: FloatArray  # (seeds, strategies, 10)

    @classmethod
    def from_results(cls, results: list[SeedResult]) -> Summary:
        if not results:
            raise ValueError("no results to summarize")
        return cls(
            results[0].strategies,
            np.stack([r.margin for r in results]),
            np.stack([r.expected_margin for r in results]),
            np.stack([r.spend for r in results]),
            np.stack([r.spend_by_decile for r in results]),
        )

    @property
    def has_oracle(self) -> bool:
        return "oracle" in self.strategies

    def _oracle(self, values: FloatArray) -> FloatArray:
        return values[:, self.strategies.index("oracle")]

    def share_of_oracle_by_period(self) -> FloatArray:
        """(seeds, strategies, periods): expected incremental margin / the oracle's, per period."""
        oracle = self._oracle(self.expected_margin)[:, None, :]
        return np.asarray(self.expected_margin / np.where(oracle > 0, oracle, np.nan))

    def share_of_oracle_cumulative(self) -> FloatArray:
        """(seeds, strategies, periods): cumulative margin so far / the oracle's."""
        cumulative = np.cumsum(self.expected_margin, axis=2)
        oracle = self._oracle(cumulative)[:, None, :]
        return np.asarray(cumulative / np.where(oracle > 0, oracle, np.nan))

    def table(self) -> list[dict[str, Any]]:
        """One row per strategy: cumulative figures with their intervals."""
        rows = []
        total_margin = self.margin.sum(axis=2)
        total_spend = self.spend.sum(axis=2)
        for s, name in enumerate(self.strategies):
            row: dict[str, Any] = {
                "strategy": name,
                "incremental_margin": estimate(total_margin[:, s]),
                "expected_incremental_margin": estimate(self.expected_margin.sum(axis=2)[:, s]),
                "spend": estimate(total_spend[:, s]),
                "return_per_dollar": estimate(
                    total_margin[:, s] / np.where(total_spend[:, s] > 0, total_spend[:, s], np.nan)
                )
                if np.all(total_spend[:, s] > 0)
                else None,
                "share_of_oracle": None,
                "share_of_oracle_last_period": None,
            }
            if self.has_oracle and np.all(self._oracle(self.expected_margin).sum(axis=1) > 0):
                row["share_of_oracle"] = estimate(self.share_of_oracle_cumulative()[:, s, -1])
                last = self.share_of_oracle_by_period()[:, s, -1]
                if np.all(np.isfinite(last)):
                    row["share_of_oracle_last_period"] = estimate(last)
            rows.append(row)
        return rows

    def to_json(self) -> dict[str, Any]:
        """The `--json` object: per strategy, cumulative figures each with an interval."""
        out: dict[str, Any] = {
            "seeds": int(self.margin.shape[0]),
            "periods": int(self.margin.shape[2]),
            "strategies": {},
        }
        by_period = self.share_of_oracle_by_period() if self.has_oracle else None
        for s, row in enumerate(self.table()):
            figures = {
                key: (value.to_dict() if isinstance(value, Estimate) else value)
                for key, value in row.items()
                if key != "strategy"
            }
            figures["incremental_margin_by_period"] = self.margin[:, s].mean(axis=0).tolist()
            if by_period is not None:
                figures["share_of_oracle_by_period"] = np.nanmean(by_period[:, s], axis=0).tolist()
            out["strategies"][row["strategy"]] = figures
        return out

    def format_table(self) -> str:
        """The printed table: means with 95% intervals over seeds."""

        def cell(value: Estimate | None, fmt: str) -> str:
            if value is None:
                return "-"
            if value.low == value.high:
                return format(value.mean, fmt)
            return (
                f"{format(value.mean, fmt)} [{format(value.low, fmt)}, {format(value.high, fmt)}]"
            )

        header = (
            f"{'strategy':<18} {'incremental margin':>26} {'spend':>24} {'return/$':>19} "
            f"{'share of oracle':>21} {'last period':>21}"
        )
        lines = [header, "-" * len(header)]
        for row in self.table():
            lines.append(
                f"{row['strategy']:<18} {cell(row['incremental_margin'], ',.0f'):>26} "
                f"{cell(row['spend'], ',.0f'):>24} {cell(row['return_per_dollar'], '.2f'):>19} "
                f"{cell(row['share_of_oracle'], '.1%'):>21} "
                f"{cell(row['share_of_oracle_last_period'], '.1%'):>21}"
            )
        lines.append(
            "incremental margin: realized; share of oracle: of the expected incremental margin "
            "at the true parameters (no response noise), cumulative and in the last period"
        )
        return "\n".join(lines)
