"""Profiles -> the arrays the value and response models read, in the policy's arm order.

A person's response evidence is their exposures, opens and clicks per (channel, message)
arm in the profile's window; their RFM follows the value engine's definitions as of the run
date; consent per channel comes from the channel's consent flag. Persons without a purchase before
the run date are prospects: no purchase history to value yet, so they are left out of the
run (the value models start at a first purchase).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from optimizer.allocation.policy import Policy
from optimizer.events.profile import Profile
from optimizer.pipeline.settings import RunSettings
from optimizer.response import ArmEvidence

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class PersonFeatures:
    """Per-person arrays (rows aligned) for one shard or one person."""

    customer_id: NDArray[np.str_]
    x: FloatArray
    t_x: FloatArray
    T: FloatArray
    monetary_value: FloatArray
    exposures: FloatArray  # (n, arms)
    responses: FloatArray  # (n, arms) clicks
    opens: FloatArray  # (n, arms) opens, where the channel records them (email)
    consent: NDArray[np.bool_]  # (n, channels)
    segment: NDArray[np.str_]
    exposures_since_purchase: FloatArray  # (n, arms) after the last purchase day
    engaged_since_purchase: NDArray[np.bool_]  # (n,) opened, clicked or visited since

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> PersonFeatures:
        return cls(**{name: arrays[name] for name in cls.__dataclass_fields__})


def features_from_profiles(
    profiles: Sequence[Profile], policy: Policy, as_of: date, settings: RunSettings
) -> PersonFeatures:
    """Features of the profiles that have a purchase by `as_of` (others are prospects)."""
    arm_index = {f"{channel}:{message}": a for a, (channel, message) in enumerate(policy.arms)}
    flags = [spec.consent for spec in policy.channels.values()]
    rows = []
    for profile in profiles:
        if profile.forgotten or profile.customer_id is None:
            continue  # erased, or anonymous: no one to address
        rfm = profile.rfm(as_of)
        if rfm is None:
            continue
        exposures = np.zeros(len(policy.arms))
        responses = np.zeros(len(policy.arms))
        opens = np.zeros(len(policy.arms))
        for arm, stats in profile.arm_stats().items():
            if arm in arm_index:
                exposures[arm_index[arm]] = stats.exposures
                responses[arm_index[arm]] = min(stats.clicks, stats.exposures)
                opens[arm_index[arm]] = min(stats.opens, stats.exposures)
        granted = profile.consent_by_channel()
        consent = [granted.get(flag, settings.consent_default.get(flag, False)) for flag in flags]
        segment = profile.segment().get(settings.segment_trait, "")
        since_exposures, engaged = profile.since_last_purchase(as_of)
        since = np.zeros(len(policy.arms))
        for arm, count in since_exposures.items():
            if arm in arm_index:
                since[arm_index[arm]] = count
        rows.append(
            (
                profile.customer_id,
                rfm,
                exposures,
                responses,
                opens,
                consent,
                segment,
                since,
                engaged,
            )
        )
    arms, channels = len(policy.arms), len(flags)
    return PersonFeatures(
        customer_id=np.array([r[0] for r in rows], dtype=np.str_),
        x=np.array([r[1].x for r in rows], dtype=np.float64),
        t_x=np.array([r[1].t_x for r in rows], dtype=np.float64),
        T=np.array([r[1].T for r in rows], dtype=np.float64),
        monetary_value=np.array([r[1].monetary_value for r in rows], dtype=np.float64),
        exposures=np.array([r[2] for r in rows], dtype=np.float64).reshape(-1, arms),
        responses=np.array([r[3] for r in rows], dtype=np.float64).reshape(-1, arms),
        opens=np.array([r[4] for r in rows], dtype=np.float64).reshape(-1, arms),
        consent=np.array([r[5] for r in rows], dtype=bool).reshape(-1, channels),
        segment=np.array([r[6] for r in rows], dtype=np.str_),
        exposures_since_purchase=np.array([r[7] for r in rows], dtype=np.float64).reshape(-1, arms),
        engaged_since_purchase=np.array([r[8] for r in rows], dtype=bool),
    )


def arm_evidence(features: PersonFeatures) -> ArmEvidence:
    """The response model's evidence: counts as of the run (the window already ages them)."""
    return ArmEvidence(
        features.exposures, features.responses, np.zeros(features.n), opens=features.opens
    )
