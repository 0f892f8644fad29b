"""The records a buying system reads: one per person per run, one summary per run.

They are pydantic models so that the API validates what it serves against the same types
the allocation run writes, and so that the OpenAPI spec is generated from them.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ChannelAllocation(BaseModel):
    """Spend and exposures of one person on one channel in the planning period."""

    model_config = ConfigDict(extra="forbid")

    spend: float = Field(ge=0, description="Planned spend on this channel, in budget currency.")
    exposures: float = Field(ge=0, description="Planned exposures (sends or impressions).")
    bid_multiplier: float = Field(
        ge=0, description="Multiplier on the channel's base bid for this person's value tier."
    )


class AllocationRecord(BaseModel):
    """One person's plan for one run, with the value estimates behind it and the reasons."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    customer_id: str
    tier: int = Field(ge=1, description="Value tier, 1 = most valuable.")
    channels: dict[str, ChannelAllocation] = Field(
        description="Only channels with planned exposures appear."
    )
    message_mix: dict[str, float] = Field(
        description="Share of the person's exposures per message; sums to 1 when any."
    )
    clv: float = Field(description="Expected customer lifetime value over the policy's horizon.")
    p_alive: float = Field(ge=0, le=1, description="Probability the person is still active.")
    expected_incremental_value: float = Field(
        description="Expected incremental margin of the plan for this person, before spend."
    )
    marginal_return: float = Field(
        description="Value of the last planned dollar for this person (per dollar)."
    )
    binding: list[str] = Field(
        default_factory=list,
        description="Constraints that stop this person from getting more (caps, consent...).",
    )
    updated_at: datetime


class RunSummary(BaseModel):
    """What a run decided in aggregate, and how close to optimal it is certified to be."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    status: str = Field(description="optimal, feasible (time limit) or failed.")
    created_at: datetime
    persons: int = Field(ge=0)
    budget: float = Field(ge=0)
    spend: float = Field(ge=0)
    objective: float = Field(description="Plan value under the policy's objective.")
    upper_bound: float = Field(description="Lagrangian bound on the best possible objective.")
    gap: float = Field(ge=0, description="(upper_bound - objective) / upper_bound.")
    spend_by_channel: dict[str, float]
    shadow_prices: dict[str, float] = Field(
        description="Value of one more unit of each coupling row's right-hand side."
    )
    exports: dict[str, str] = Field(
        default_factory=dict, description="Export name -> S3 URI of the file."
    )
