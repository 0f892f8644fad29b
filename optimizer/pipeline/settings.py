"""What a run assumes about the business, beyond the policy: one documented place.

- `margin`: share of revenue that is margin (CLV and the value of a response use it).
- `purchase_model`: the BTYD model behind P(alive) and CLV. MBG/NBD by default: BG/NBD
  holds every one-time buyer alive with certainty (its dropout happens only after a repeat
  purchase), which would value a single $30 order like the best repeat customer's.
- `conversion_per_response`: incremental purchases one click brings (measured once by a
  holdout test; the response model learns who clicks, not what a click is worth).
- `horizon_weeks`, `discount_rate`: the CLV horizon and the yearly discount rate.
- `segment_trait`: the profile attribute that names a person's segment (the prior of their
  response rates); `cohort` (month of first purchase) is derived for every buyer.
- `consent_default`: the consent assumed for a flag a person never set; a flag missing here
  means no consent until the person grants it.
- `n_tiers`: value tiers for audience exports.
- `engagement_as_life`: read an open, click or visit since the last purchase as proof that
  the person is still a customer, and silence through exposures as a hint that they left
  (`optimizer.value.engagement`); P(alive) and CLV move with it. Off by default: it is right
  only where customers who have left stop opening, which a business should check first
  (in the simulator's world they do, and it is worth 2 points of the oracle; where they do
  not, it costs 6).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PurchaseModelName = Literal["bgnbd", "mbgnbd", "paretonbd"]
DEFAULT_PURCHASE_MODEL: PurchaseModelName = "mbgnbd"


class RunSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    margin: float = Field(default=0.3, gt=0, le=1)
    purchase_model: PurchaseModelName = DEFAULT_PURCHASE_MODEL
    conversion_per_response: float = Field(default=0.2, ge=0, le=1)
    horizon_weeks: float = Field(default=52.0, gt=0)
    discount_rate: float = Field(default=0.10, ge=0)
    segment_trait: str = "cohort"
    consent_default: dict[str, bool] = Field(default_factory=dict)
    n_tiers: int = Field(default=5, ge=1, le=100)
    engagement_as_life: bool = False
