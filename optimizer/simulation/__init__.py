"""Persona against person: a synthetic world with a known truth and the campaign loop in it.

Public API:
- `WorldConfig` (every assumption, documented), `SegmentSpec`, `World` (population, baseline
  purchases, `respond(exposures)`: opens, clicks, incremental purchases), `Arms`.
- `SimulationConfig`, `run_seed(config, seed)`, `run(config, seeds)` -> `SeedResult`;
  `Summary.from_results(results)` for the table, JSON and intervals over seeds.
- Strategies: `STRATEGIES` (uniform, persona, person, oracle), `DIAGNOSTICS`,
  `LearningSettings` (exploration, half-life, pooling, segments, opens, taste).
- Planning: `plan_exposures` (the one-budget-row LP, exact), `default_policy()`,
  `make_planner("simulator" | "allocation", policy)`.
- Events: `interaction_events(...)`, `purchase_events(...)`, `customer_ids(n)`: the world's
  outcomes as dicts of the ingestion schema (`optimizer.events.schema`).
"""

from optimizer.simulation.engines import default_policy, make_planner, market_from_policy
from optimizer.simulation.events import customer_ids, interaction_events, purchase_events
from optimizer.simulation.loop import SeedResult, SimulationConfig, run, run_seed
from optimizer.simulation.planner import Market, plan_exposures
from optimizer.simulation.strategies import DIAGNOSTICS, STRATEGIES, LearningSettings
from optimizer.simulation.summary import Estimate, Summary
from optimizer.simulation.world import Arms, SegmentSpec, World, WorldConfig

__all__ = [
    "DIAGNOSTICS",
    "STRATEGIES",
    "Arms",
    "Estimate",
    "LearningSettings",
    "Market",
    "SeedResult",
    "SegmentSpec",
    "SimulationConfig",
    "Summary",
    "World",
    "WorldConfig",
    "customer_ids",
    "default_policy",
    "interaction_events",
    "make_planner",
    "market_from_policy",
    "plan_exposures",
    "purchase_events",
    "run",
    "run_seed",
]
