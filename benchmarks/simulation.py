"""Simulator and response-model figures: wall time of the README run and scoring throughput.

    python benchmarks/simulation.py [--customers 20000] [--periods 12] [--seeds 5]
                                    [--score-persons 1000000]

Prints (1) the seconds the persona-against-person simulation takes at the README's size
(target: under 5 minutes on 2 cores) with its table, (2) the seconds to fit the response
priors (empirical Bayes over segments x arms) and to score posteriors for a million persons.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from infra.cli.simulate import single_threaded_blas
from optimizer.response import ArmEvidence, ResponseModel
from optimizer.simulation.loop import SimulationConfig, run
from optimizer.simulation.summary import Summary
from optimizer.simulation.world import WorldConfig


def simulation(customers: int, periods: int, seeds: int, jobs: int) -> None:
    config = SimulationConfig(world=WorldConfig(customers=customers), periods=periods)
    start = time.perf_counter()
    results = run(config, list(range(1, seeds + 1)), jobs=jobs)
    seconds = time.perf_counter() - start
    print(
        f"simulation: {customers:,} customers x {periods} periods x {seeds} seeds x "
        f"{len(config.strategies)} strategies, {jobs} processes: {seconds:.1f} s wall"
    )
    print(Summary.from_results(results).format_table())


def scoring(persons: int, arms: int = 9, segments: int = 8) -> None:
    rng = np.random.default_rng(0)
    segment = rng.integers(0, segments, size=persons)
    exposures = rng.poisson(3.0, size=(persons, arms)).astype(np.float64)
    rate = rng.beta(1.0, 15.0, size=(persons, arms))
    clicks = rng.binomial(exposures.astype(np.int64), rate).astype(np.float64)
    evidence = ArmEvidence.empty(persons, arms).add(exposures, clicks, 0.0)
    start = time.perf_counter()
    model = ResponseModel().fit(evidence, segment, segments)
    fitted = time.perf_counter()
    posterior = model.posterior(evidence, segment, t_weeks=4.0)
    _ = posterior.mean
    scored = time.perf_counter()
    one = model.posterior(
        ArmEvidence.empty(1, arms).add(exposures[:1], clicks[:1], 0.0), segment[:1]
    )
    start_one = time.perf_counter()
    for _ in range(1000):
        one = model.posterior(
            ArmEvidence.empty(1, arms).add(exposures[:1], clicks[:1], 0.0), segment[:1]
        )
    per_one = (time.perf_counter() - start_one) / 1000
    print(
        f"response model, {persons:,} persons x {arms} arms x {segments} segments: "
        f"fit priors {fitted - start:.2f} s, score posteriors {scored - fitted:.2f} s, "
        f"one person {per_one * 1e6:.0f} us (mean of arm 0: {one.mean[0, 0]:.4f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--periods", type=int, default=12)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--score-persons", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    single_threaded_blas()
    scoring(args.score_persons)
    simulation(args.customers, args.periods, args.seeds, min(args.jobs, args.seeds))


if __name__ == "__main__":
    main()
