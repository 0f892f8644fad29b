"""A synthetic world with a known truth: who buys, who is still there, who responds to what.

Every assumption lives in `WorldConfig` (one frozen dataclass, documented field by field):

- Purchases follow BG/NBD (Fader, Hardie & Lee 2005) with CDNOW's published parameters: each
  customer buys at a Poisson rate lambda ~ Gamma(r, alpha) per week and, after each REPEAT
  purchase, drops out for good with probability p ~ Beta(a, b). A segment scales purchase
  rates by `purchase_rate_multiplier` (lambda ~ Gamma(r, alpha / m)).
- Purchase values follow Gamma-Gamma with CDNOW's parameters: each purchase is
  Gamma(p, nu) with nu ~ Gamma(q, gamma) per customer; a segment scales spend by
  `spend_multiplier` (nu ~ Gamma(q, gamma / m)).
- Customers were acquired uniformly over `acquisition_weeks` before the simulation starts,
  and have a purchase history (as CDNOW's Q1-1997 cohort at the end of its calibration).
  In those weeks the business marketed to them as retailers do (`history_exposures`, per
  message of each channel: an email a fortnight, a social ad every three weeks, a catalog a
  quarter), recorded as one past campaign half a year before the start: its opens and
  clicks are the response evidence every learner starts from.
- Response: every person has a hidden response propensity for every arm (channel x message),
  Beta-distributed with concentration `response_concentration` around their own mean: the
  segment's mean `channel_response[channel] x segment.message_affinity[message]` times the
  person's engagement (Gamma with mean 1 and shape `engagement_shape`, the same on all
  arms). Each exposure is answered (a click) with that probability, independently.
- Opens (channels in `open_rate`, by default email): the funnel exposure -> open -> click.
  The person's open propensity per arm is Beta with concentration `open_concentration`
  around `open_rate[channel] x message affinity x engagement`; once open, they click with a
  propensity Beta around `channel_response / open_rate` with concentration
  `click_through_concentration`. Their click rate is the product: its segment mean is as
  above, and the defaults give it about the same spread around that mean as the plain
  click world (concentration 10), but the spread now lives mostly in whether they open,
  which an open event shows. Channels not in `open_rate` (social, direct mail) record no
  opens and draw clicks as above. `open_rate={}` is the click-only world, draw for draw.
- Taste (off by default): `channel_taste_shape` and `message_taste_shape` give each person a
  Gamma factor (mean 1) per channel and per message, multiplying the mean of every arm of
  it before the per-arm Beta draw, so a person's deviation from their segment is shared by
  the arms of a channel or a message. Raise the concentrations to keep the overall spread.
- Lapsed customers stop engaging (`lapsed_customers_engage`, default False): a customer who
  has dropped out no longer opens or clicks, in the past campaign or now, as a customer who
  has left a store ignores its emails. An open or a click after a customer's last purchase
  therefore shows they are still there, to every policy alike (`optimizer.value.engagement`).
  True gives the earlier world, where they kept opening and clicking.
- Incrementality: a click converts into an INCREMENTAL purchase with probability
  `conversion x decay**(k-1)` for the k-th exposure of that arm in the period (diminishing
  returns: people who already saw the message this period are less moved by it again), and
  only if the customer is still alive. Its value is drawn from the customer's own spend
  distribution; its margin (`margin_rate`) is what marketing earns. Baseline purchases
  happen anyway, regardless of marketing, and are never credited to it. Incremental
  purchases do not change the customer's dropout process.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class SegmentSpec:
    """A group of customers with its own mean behaviour (the persona a marketer would draw)."""

    name: str
    share: float
    purchase_rate_multiplier: float = 1.0
    spend_multiplier: float = 1.0
    message_affinity: dict[str, float] = field(default_factory=dict)  # default 1.0


DEFAULT_SEGMENTS: tuple[SegmentSpec, ...] = (
    SegmentSpec("deal seekers", 0.35, 1.0, 0.7, {"discount": 2.5, "new_release": 0.5}),
    SegmentSpec("enthusiasts", 0.20, 1.8, 1.3, {"new_release": 2.5, "discount": 0.6}),
    SegmentSpec("browsers", 0.30, 0.7, 1.0, {"recommendation": 2.0}),
    SegmentSpec("loyal spenders", 0.15, 1.4, 1.6, {"recommendation": 1.5, "new_release": 1.5}),
)


@dataclass(frozen=True)
class WorldConfig:
    """All assumptions of the synthetic world, with their defaults and units."""

    customers: int = 20_000
    # BG/NBD, CDNOW 2,357-customer sample, weeks (Fader, Hardie & Lee 2005).
    r: float = 0.2425945
    alpha: float = 4.4136019
    a: float = 0.7929199
    b: float = 2.4258881
    # Gamma-Gamma, CDNOW (Fader, Hardie & Lee 2005, JMR).
    p: float = 6.25
    q: float = 3.74
    gamma: float = 15.44
    acquisition_weeks: tuple[float, float] = (27.0, 39.0)  # age at the start: CDNOW Q1 cohort
    segments: tuple[SegmentSpec, ...] = DEFAULT_SEGMENTS
    # Response to one exposure, by channel, before the segment's message affinity.
    channel_response: dict[str, float] = field(
        default_factory=lambda: {"email": 0.04, "social": 0.025, "direct_mail": 0.12}
    )
    default_channel_response: float = 0.03  # channels not listed above
    response_concentration: float = 10.0  # Beta(mean*k, (1-mean)*k) around the person's mean
    # Channels that record opens, with a segment-average person's P(open | exposure) before
    # message affinity. Email opens are ~20% in industry benchmarks, clicks per open ~20%.
    open_rate: dict[str, float] = field(default_factory=lambda: {"email": 0.2})
    open_concentration: float = 1.0  # Beta concentration of a person's open propensity
    click_through_concentration: float = 50.0  # of P(click | open) around the segment's
    # Person's engagement: multiplies their segment's mean on every arm, Gamma(shape, 1/shape)
    # (mean 1). Heavy clickers click everywhere. inf: no person factor, arms independent.
    engagement_shape: float = 2.0
    # Person's taste for a channel ("an email person") and for a message ("a deal hunter"):
    # Gamma(shape, 1/shape) factors (mean 1) on every arm of that channel or message, on top
    # of engagement, before the per-arm Beta draw. inf: no such factor (independent arms).
    channel_taste_shape: float = np.inf
    message_taste_shape: float = np.inf
    # Past marketing, per arm (message) of each channel, shown at `history_campaign_week`:
    # over the customers' 27-39 weeks, an email a fortnight (15: 5 per message), a social ad
    # every three weeks (9: 3 per message), a catalog a quarter (3: 1 per message). Its opens
    # and clicks are the evidence all learners start from. All 0: learners start knowing
    # nothing about responses.
    history_exposures: dict[str, int] = field(
        default_factory=lambda: {"email": 5, "social": 3, "direct_mail": 1}
    )
    default_history_exposures: int = 1  # channels not listed above
    history_campaign_week: float = -26.0
    # Customers who dropped out keep opening and clicking (True), or stop (False, default).
    lapsed_customers_engage: bool = False
    conversion: float = 0.1  # P(incremental purchase | click), first exposure of the period
    saturation_decay: float = 0.5  # the k-th exposure of an arm in a period converts decay**(k-1)
    margin_rate: float = 0.3  # share of a purchase's value that is margin

    def __post_init__(self) -> None:
        shares = sum(s.share for s in self.segments)
        if not self.segments or abs(shares - 1.0) > 1e-9:
            raise ValueError(f"segments: shares must sum to 1, got {shares}")
        if self.customers < 1:
            raise ValueError("customers must be >= 1")
        past = [*self.history_exposures.values(), self.default_history_exposures]
        if min(past) < 0 or self.history_campaign_week > 0:
            raise ValueError("history_exposures must be >= 0 and history_campaign_week <= 0")
        low, high = self.acquisition_weeks
        if not 0 <= low <= high:
            raise ValueError("acquisition_weeks must be (low, high) with 0 <= low <= high")
        positive = (
            "r",
            "alpha",
            "a",
            "b",
            "p",
            "q",
            "gamma",
            "response_concentration",
            "open_concentration",
            "click_through_concentration",
        )
        for name in (*positive, "engagement_shape", "channel_taste_shape", "message_taste_shape"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        for name in ("conversion", "margin_rate", "saturation_decay"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in [0, 1]")
        for channel, rate in self.open_rate.items():
            click = self.channel_response.get(channel, self.default_channel_response)
            if not click <= rate <= 1:
                raise ValueError(f"open_rate[{channel!r}] must be in [click rate, 1], got {rate}")


@dataclass(frozen=True)
class Arms:
    """What the world needs to know about the arms: their channel and message names."""

    channels: tuple[str, ...]
    messages: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.channels)


@dataclass
class Purchases:
    """Purchase records: customer index, time in weeks (0 = simulation start), value."""

    customer: IntArray
    week: FloatArray
    amount: FloatArray

    @classmethod
    def concat(cls, parts: list[Purchases]) -> Purchases:
        if not parts:
            return cls(np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
        return cls(
            np.concatenate([x.customer for x in parts]),
            np.concatenate([x.week for x in parts]),
            np.concatenate([x.amount for x in parts]),
        )


@dataclass
class Population:
    """The hidden truth per customer, and the mutable alive state."""

    segment: IntArray
    purchase_rate: FloatArray  # lambda, purchases per week while alive
    dropout: FloatArray  # p, P(drop out) after each repeat purchase
    spend_rate: FloatArray  # nu: purchase values ~ Gamma(shape=p, rate=nu)
    response_rate: FloatArray  # (n, arms) P(click | exposure) = open_rate x click_through
    open_rate: FloatArray  # (n, arms) P(open | exposure); 1 on arms that record no opens
    click_through: FloatArray  # (n, arms) P(click | open)
    first_purchase_week: FloatArray  # negative: before the simulation starts
    alive: BoolArray
    dropout_week: FloatArray  # week of the purchase after which they dropped out; inf: alive
    last_purchase_week: FloatArray  # of baseline purchases
    repeat_purchases: IntArray  # baseline purchases after the first

    @property
    def size(self) -> int:
        return int(self.segment.size)


class World:
    """Draws a population, plays baseline purchases, and answers exposures."""

    def __init__(self, config: WorldConfig, arms: Arms, seed: int) -> None:
        self.config = config
        self.arms = arms
        streams = np.random.SeedSequence(seed).spawn(4)
        self._truth_rng = np.random.default_rng(streams[0])
        self.baseline_rng = np.random.default_rng(streams[1])
        self.open_arms = np.array([ch in config.open_rate for ch in arms.channels], dtype=bool)
        self.population = self._draw_population()
        self.history = self._history()
        per_arm = [
            config.history_exposures.get(ch, config.default_history_exposures)
            for ch in arms.channels
        ]
        past = np.broadcast_to(
            np.array(per_arm, dtype=np.int64), self.population.response_rate.shape
        )
        campaign_rng = np.random.default_rng(streams[3])
        self.history_exposures = past.astype(np.int64)
        if self.open_arms.any():
            opens = campaign_rng.binomial(past, self.population.open_rate)
            self.history_clicks = campaign_rng.binomial(opens, self.population.click_through)
            self.history_opens = opens * self.open_arms
        else:
            self.history_clicks = campaign_rng.binomial(past, self.population.response_rate)
            self.history_opens = np.zeros_like(past)
        if not config.lapsed_customers_engage:
            there = (self.population.dropout_week > config.history_campaign_week)[:, None]
            self.history_clicks = self.history_clicks * there
            self.history_opens = self.history_opens * there

    def segment_response_mean(self) -> FloatArray:
        """(segments, arms) mean response propensity of each segment on each arm."""
        c = self.config
        channel = np.array(
            [c.channel_response.get(ch, c.default_channel_response) for ch in self.arms.channels]
        )
        affinity = np.array(
            [[s.message_affinity.get(m, 1.0) for m in self.arms.messages] for s in c.segments]
        )
        return np.asarray(np.clip(channel[None, :] * affinity, 1e-4, 0.95))

    def expected_spend(self) -> FloatArray:
        """True mean value of one purchase of each customer: p / nu."""
        return np.asarray(self.config.p / self.population.spend_rate)

    def _draw_population(self) -> Population:
        c, rng, n = self.config, self._truth_rng, self.config.customers
        shares = np.array([s.share for s in c.segments])
        segment = rng.choice(len(c.segments), size=n, p=shares / shares.sum())
        rate_mult = np.array([s.purchase_rate_multiplier for s in c.segments])[segment]
        spend_mult = np.array([s.spend_multiplier for s in c.segments])[segment]
        purchase_rate = rng.gamma(c.r, rate_mult / c.alpha)
        dropout = rng.beta(c.a, c.b, size=n)
        spend_rate = rng.gamma(c.q, 1.0 / (c.gamma / spend_mult))
        mean = self.segment_response_mean()[segment]
        engagement = np.ones(n)
        if np.isfinite(c.engagement_shape):
            engagement = rng.gamma(c.engagement_shape, 1.0 / c.engagement_shape, size=n)
            mean = np.clip(mean * engagement[:, None], 1e-4, 0.95)
        k = c.response_concentration
        response_rate = rng.beta(mean * k, (1 - mean) * k)
        first = -rng.uniform(*c.acquisition_weeks, size=n)
        # Taste and opens are drawn after the plain world's draws, which stay put.
        taste = self._draw_taste(rng, n)
        if taste is not None:
            mean = np.clip(
                self.segment_response_mean()[segment] * engagement[:, None] * taste, 1e-4, 0.95
            )
            response_rate = rng.beta(mean * k, (1 - mean) * k)
        open_rate = np.ones_like(response_rate)
        click_through = response_rate.copy()
        if self.open_arms.any():
            cols = self.open_arms
            open_mean, through_mean = self.segment_open_means()
            person = engagement[:, None] * (1.0 if taste is None else taste[:, cols])
            o_mean = np.clip(open_mean[segment][:, cols] * person, 1e-4, 0.95)
            t_mean = through_mean[segment][:, cols]
            k_o, k_c = c.open_concentration, c.click_through_concentration
            open_rate[:, cols] = rng.beta(o_mean * k_o, (1 - o_mean) * k_o)
            click_through[:, cols] = rng.beta(t_mean * k_c, (1 - t_mean) * k_c)
            response_rate = open_rate * click_through
        return Population(
            segment=segment.astype(np.int64),
            purchase_rate=purchase_rate,
            dropout=dropout,
            spend_rate=spend_rate,
            response_rate=response_rate,
            open_rate=open_rate,
            click_through=click_through,
            first_purchase_week=first,
            alive=np.ones(n, dtype=bool),
            dropout_week=np.full(n, np.inf),
            last_purchase_week=first.copy(),
            repeat_purchases=np.zeros(n, dtype=np.int64),
        )

    def _draw_taste(self, rng: np.random.Generator, n: int) -> FloatArray | None:
        """(n, arms) channel taste x message taste of every person; None without taste."""
        c, arms = self.config, self.arms
        if not (np.isfinite(c.channel_taste_shape) or np.isfinite(c.message_taste_shape)):
            return None
        taste = np.ones((n, len(arms)))
        for names, shape in (
            (arms.channels, c.channel_taste_shape),
            (arms.messages, c.message_taste_shape),
        ):
            if np.isfinite(shape):
                levels = sorted(set(names))
                factor = rng.gamma(shape, 1.0 / shape, size=(n, len(levels)))
                taste *= factor[:, [levels.index(x) for x in names]]
        return taste

    def segment_open_means(self) -> tuple[FloatArray, FloatArray]:
        """(segments, arms) mean P(open) and mean P(click | open); message affinity on opens.

        Their product is `segment_response_mean` wherever the open mean is not capped."""
        c = self.config
        open_base = np.array([c.open_rate.get(ch, 1.0) for ch in self.arms.channels])
        affinity = np.array(
            [[s.message_affinity.get(m, 1.0) for m in self.arms.messages] for s in c.segments]
        )
        click = self.segment_response_mean() / affinity
        open_mean = np.clip(open_base[None, :] * affinity, 1e-4, 0.95)
        through = np.clip(click / open_base[None, :], 1e-4, 0.95)
        return np.asarray(open_mean), np.asarray(through)

    def _purchase_values(self, customer: IntArray, count: IntArray | None = None) -> FloatArray:
        shape = self.config.p if count is None else self.config.p * count
        return np.asarray(
            self.baseline_rng.gamma(shape, 1.0 / self.population.spend_rate[customer])
        )

    def _history(self) -> Purchases:
        """Each customer's first purchase, then the BG/NBD process up to the start (week 0)."""
        everyone = np.arange(self.population.size)
        first = self.population.first_purchase_week
        initial = Purchases(everyone, first.copy(), self._purchase_values(everyone))
        return Purchases.concat([initial, self._play(first, np.zeros(everyone.size))])

    def baseline_purchases(self, start_week: float, end_week: float) -> Purchases:
        """Purchases that happen anyway in [start_week, end_week); updates `alive`."""
        n = self.population.size
        return self._play(np.full(n, start_week), np.full(n, end_week))

    def _play(self, start: FloatArray, end: FloatArray) -> Purchases:
        pop, rng = self.population, self.baseline_rng
        parts: list[Purchases] = []
        active = np.flatnonzero(pop.alive & (pop.purchase_rate > 0))
        clock = start[active] + rng.exponential(1.0 / pop.purchase_rate[active])
        while active.size:
            buying = clock < end[active]
            active, clock = active[buying], clock[buying]
            if not active.size:
                break
            parts.append(Purchases(active, clock, self._purchase_values(active)))
            pop.last_purchase_week[active] = clock
            pop.repeat_purchases[active] += 1
            drops = rng.random(active.size) < pop.dropout[active]
            pop.alive[active[drops]] = False
            pop.dropout_week[active[drops]] = clock[drops]
            active, clock = active[~drops], clock[~drops]
            clock = clock + rng.exponential(1.0 / pop.purchase_rate[active])
        return Purchases.concat(parts)

    def p_alive(self, week: float) -> FloatArray:
        """P(alive) knowing each customer's TRUE purchase rate and dropout probability.

        What an oracle can know without seeing the hidden state: after the last repeat
        purchase the customer stayed with probability 1 - p, and if they stayed, went
        `week - last` weeks without buying with probability exp(-lambda * gap).
        """
        pop = self.population
        gap = np.maximum(week - pop.last_purchase_week, 0.0)
        stay = (1 - pop.dropout) * np.exp(-pop.purchase_rate * gap)
        return np.asarray(np.where(pop.repeat_purchases > 0, stay / (stay + pop.dropout), 1.0))

    def expected_incremental_value(
        self, week: float | None = None, alive: FloatArray | None = None
    ) -> FloatArray:
        """True margin of one click per customer: given the alive state; with `week`, its
        expectation given the true parameters and the purchases so far (the oracle's); with
        `alive`, given that P(alive)."""
        c = self.config
        if alive is not None:
            chance = alive
        elif week is not None:
            chance = self.p_alive(week)
        else:
            chance = self.population.alive.astype(np.float64)
        return np.asarray(c.conversion * c.margin_rate * self.expected_spend() * chance)

    def respond(
        self, exposures: IntArray, rng: np.random.Generator, start_week: float, end_week: float
    ) -> Response:
        """Clicks and incremental purchases caused by one period's exposures (n, arms)."""
        pop, c = self.population, self.config
        exposures = np.asarray(exposures, dtype=np.int64)
        if exposures.shape != pop.response_rate.shape:
            raise ValueError(f"exposures must have shape {pop.response_rate.shape}")
        if np.any(exposures < 0):
            raise ValueError("exposures must be non-negative")
        clicks = np.zeros_like(exposures)
        opens = np.zeros_like(exposures)
        converted = np.zeros_like(exposures)
        funnel = bool(self.open_arms.any())
        engaging = np.ones(pop.size, dtype=bool) if c.lapsed_customers_engage else pop.alive
        for k in range(int(exposures.max(initial=0))):
            shown = (exposures > k) & engaging[:, None]
            if funnel:
                opened = shown & (rng.random(exposures.shape) < pop.open_rate)
                click = opened & (rng.random(exposures.shape) < pop.click_through)
                opens += opened & self.open_arms
            else:
                click = shown & (rng.random(exposures.shape) < pop.response_rate)
            buys = click & (rng.random(exposures.shape) < c.conversion * c.saturation_decay**k)
            clicks += click
            converted += buys & pop.alive[:, None]
        count = converted.sum(axis=1)
        who = np.flatnonzero(count)
        value = np.zeros(pop.size)
        value[who] = rng.gamma(c.p * count[who], 1.0 / pop.spend_rate[who])
        # Individual purchase records: split each customer's total evenly over their purchases.
        buyer = np.repeat(who, count[who])
        week = rng.uniform(start_week, end_week, size=buyer.size)
        amount = np.repeat(value[who] / np.maximum(count[who], 1), count[who])
        return Response(clicks, converted, value, Purchases(buyer, week, amount), opens)


@dataclass
class Response:
    """What one period's exposures caused: opens, clicks and incremental purchases per arm."""

    clicks: IntArray  # (n, arms)
    incremental_purchases: IntArray  # (n, arms)
    incremental_value: FloatArray  # (n,) value of the incremental purchases
    purchases: Purchases  # the incremental purchases as records
    opens: IntArray  # (n, arms) recorded opens: 0 on arms whose channel records none

    def incremental_margin(self, margin_rate: float) -> float:
        return float(self.incremental_value.sum() * margin_rate)
