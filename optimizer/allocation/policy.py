"""The allocation policy: what the marketer allows, read from YAML or JSON.

A `Policy` names channels and messages; the eligible (channel, message) pairs, in the fixed
order `policy.arms`, are what the planner buys exposures of. Validation errors name the
offending field (pydantic's location plus our own messages), so a bad policy file is fixed
in one go. `load_policy(path)` reads `.yaml`/`.yml`/`.json`.

Semantics worth knowing:
- `unit_cost` is the price of one exposure; `frequency_cap` caps a person's exposures on the
  channel per planning period (all messages together).
- `objective: margin` maximizes expected incremental margin net of spend; `objective:
  response` maximizes expected responses with spend only limited by the budgets.
- `spend_cap_fraction_of_clv`: a person's spend is at most this fraction of their CLV.
- `min_return_per_dollar`: an exposure is bought only if its expected gross value per dollar
  (response_rate x value_per_response x decay / unit_cost) is at least this; it is a
  marginal rule, applied per curve segment, so it keeps the problem decomposable.
- Global mix rules couple persons: spend on messages tagged `tag` is at least / at most
  `share` of total spend. Per-person rules: no message above `max_message_share` of the
  person's exposures; at least one `brand_tag` message per `brand_every` exposures.
- The curve: the k-th exposure of an arm in the period is worth decay**(k-1) times the
  first; exposures are grouped in segments of `segment_widths` exposures, each valued at the
  mean factor of its exposures, so each person-arm curve is concave piecewise linear.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the field."""


class Channel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit_cost: float = Field(gt=0, description="Cost of one exposure, in currency units.")
    frequency_cap: float = Field(ge=0, description="Max exposures per person per period.")
    budget_max: float | None = Field(default=None, ge=0)
    budget_min: float | None = Field(default=None, ge=0)
    consent: str = Field(description="Consent flag that governs this channel.")

    @model_validator(mode="after")
    def _min_below_max(self) -> Channel:
        if (
            self.budget_min is not None
            and self.budget_max is not None
            and self.budget_min > self.budget_max
        ):
            raise ValueError(f"budget_min {self.budget_min} above budget_max {self.budget_max}")
        return self


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channels: list[str] = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)


class Curve(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decay: float = Field(default=0.7, gt=0, le=1)
    segment_widths: list[float] = Field(default=[1.0, 1.0, 2.0, 4.0], min_length=1)

    @model_validator(mode="after")
    def _positive_widths(self) -> Curve:
        if any(w <= 0 for w in self.segment_widths):
            raise ValueError("segment_widths must all be positive")
        return self

    def segment_factors(self) -> np.ndarray:
        """Mean decay factor of the exposures in each segment (decreasing: concave curve)."""
        edges = np.concatenate([[0.0], np.cumsum(self.segment_widths)])
        d = self.decay
        if d == 1.0:
            return np.ones(len(self.segment_widths))
        # integral-free discrete mean over possibly fractional widths: geometric sum formula
        # sum_{k=a}^{b-1} d^k = (d^a - d^b)/(1-d), divided by the width b-a.
        a, b = edges[:-1], edges[1:]
        return np.asarray((d**a - d**b) / ((1.0 - d) * (b - a)))


class GlobalMixRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    tag: str
    at_least: float | None = Field(default=None, ge=0, le=1)
    at_most: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _one_bound(self) -> GlobalMixRule:
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError("give exactly one of at_least / at_most")
        return self


class PersonMixRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_message_share: float | None = Field(default=None, gt=0, le=1)
    brand_every: float | None = Field(default=None, ge=1)
    brand_tag: str = "brand"


class MixRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    global_: list[GlobalMixRule] = Field(default_factory=list, alias="global")
    per_person: PersonMixRules = Field(default_factory=PersonMixRules)


class Policy(BaseModel):
    """A validated allocation policy; see the module docstring for the semantics."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    objective: Literal["margin", "response"] = "margin"
    total_budget: float | None = Field(default=None, ge=0)
    spend_cap_fraction_of_clv: float | None = Field(default=None, ge=0)
    min_return_per_dollar: float | None = Field(default=None, ge=0)
    curve: Curve = Field(default_factory=Curve)
    channels: dict[str, Channel] = Field(min_length=1)
    messages: dict[str, Message] = Field(min_length=1)
    mix_rules: MixRules = Field(default_factory=MixRules)

    @model_validator(mode="after")
    def _references(self) -> Policy:
        for name, message in self.messages.items():
            for channel in message.channels:
                if channel not in self.channels:
                    raise ValueError(
                        f"messages.{name}.channels: unknown channel {channel!r} "
                        f"(known: {', '.join(self.channels)})"
                    )
        tags = {t for m in self.messages.values() for t in m.tags}
        for i, rule in enumerate(self.mix_rules.global_):
            if rule.tag not in tags:
                raise ValueError(f"mix_rules.global.{i}.tag: no message carries tag {rule.tag!r}")
        person = self.mix_rules.per_person
        if person.brand_every is not None and person.brand_tag not in tags:
            raise ValueError(
                f"mix_rules.per_person.brand_tag: no message carries tag {person.brand_tag!r}"
            )
        if self.objective == "response" and self.total_budget is None:
            raise ValueError("total_budget: required when objective is 'response'")
        return self

    @cached_property
    def arms(self) -> list[tuple[str, str]]:
        """Eligible (channel, message) pairs, channel-major in policy order."""
        return [
            (channel, message)
            for channel in self.channels
            for message, spec in self.messages.items()
            if channel in spec.channels
        ]

    @property
    def channel_names(self) -> list[str]:
        return list(self.channels)

    @property
    def message_names(self) -> list[str]:
        return list(self.messages)

    @property
    def consent_flags(self) -> list[str]:
        return sorted({c.consent for c in self.channels.values()})

    def arm_channel_index(self) -> np.ndarray:
        names = self.channel_names
        return np.array([names.index(c) for c, _ in self.arms], dtype=np.int64)

    def arm_message_index(self) -> np.ndarray:
        names = self.message_names
        return np.array([names.index(m) for _, m in self.arms], dtype=np.int64)

    def arm_cost(self) -> np.ndarray:
        return np.array([self.channels[c].unit_cost for c, _ in self.arms], dtype=np.float64)

    def arm_has_tag(self, tag: str) -> np.ndarray:
        return np.array([tag in self.messages[m].tags for _, m in self.arms], dtype=bool)


def parse_policy(data: Any, source: str = "policy") -> Policy:
    """Validate a decoded policy document; errors name each offending field."""
    try:
        return Policy.model_validate(data)
    except ValidationError as error:
        lines = []
        for item in error.errors():
            where = ".".join(str(p) for p in item["loc"]) or "(top level)"
            lines.append(f"{where}: {item['msg']}")
        raise PolicyError(f"{source}: " + "; ".join(lines)) from None


def load_policy(path: str | Path) -> Policy:
    """Read a policy from a YAML (.yaml/.yml) or JSON (.json) file."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise PolicyError(f"{path}: cannot read ({error.strerror})") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise PolicyError(f"{path}: not valid {path.suffix.lstrip('.')}: {error}") from None
    return parse_policy(data, str(path))
