"""A person's taste by channel and by message: "an email person", "a deal hunter".

The engagement factor (`optimizer.response.engagement`) moves every arm of a person alike.
Taste is finer: a person's deviation from their segment is shared by the arms of one channel
(g_ic) and by the arms of one message (h_im), so their responses to email-discount say
something about email-news (same channel) and about social-discount (same message). The
prior mean of arm j is segment mean x f_i x g_i,ch(j) x h_i,msg(j), each factor Gamma with
mean 1 and its own shape.

Each factor is estimated as the engagement factor is: a Poisson-Gamma ratio, leaving arm j
out, (s + responses of the group's other arms) / (s + what they were expected to give), the
expected counts already scaled by the factors before it (engagement, then channel), so the
same excess is not counted twice. The shapes are fitted by the method of moments on pairs of
arms of one person (responses on distinct arms are independent given the person's rates):

    E[k_j k_j'] / (E_j E_j') = (1 + 1/s_e)                  arms sharing nothing
                             x (1 + 1/s_c)  if same channel, x (1 + 1/s_m)  if same message

where E_j is the person's exposures times the segment mean. No shared excess gives a
shape at the bound (factor 1). `ResponseModel` takes the channel and message shapes from
here and keeps the engagement shape of its negative-binomial fit: in the simulator the
moment estimate of engagement (closer to the truth) planned worse, since a Poisson-Gamma
factor over-reacts when every arm also scatters on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
_SHAPE_BOUNDS = (0.05, 1e4)


@dataclass(frozen=True)
class TasteShapes:
    """Gamma shapes of the engagement, channel and message factors (inf: no such factor)."""

    engagement: float
    channel: float
    message: float


def _pairs(first: IntArray, second: IntArray) -> dict[str, FloatArray]:
    """(arms, arms) masks of distinct arm pairs: same channel, same message, neither."""
    same_channel = first[:, None] == first[None, :]
    same_message = second[:, None] == second[None, :]
    distinct = ~np.eye(first.size, dtype=bool)
    return {
        "channel": (same_channel & ~same_message & distinct).astype(np.float64),
        "message": (same_message & ~same_channel & distinct).astype(np.float64),
        "none": (~same_channel & ~same_message).astype(np.float64),
    }


def _shape(excess: float) -> float:
    """Gamma shape from the relative second moment 1 + 1/s."""
    if not np.isfinite(excess) or excess <= 1.0 + 1.0 / _SHAPE_BOUNDS[1]:
        return float(_SHAPE_BOUNDS[1])
    return float(np.clip(1.0 / (excess - 1.0), *_SHAPE_BOUNDS))


def fit_taste_shapes(
    responses: FloatArray, expected: FloatArray, channel: IntArray, message: IntArray
) -> TasteShapes:
    """Method-of-moments shapes from (persons, arms) responses and expected responses."""
    pairs = _pairs(channel, message)

    def moment(mask: FloatArray) -> float:
        observed = float(((responses @ mask) * responses).sum())
        predicted = float(((expected @ mask) * expected).sum())
        return observed / predicted if predicted > 0 else np.nan

    base = moment(pairs["none"])
    if not np.isfinite(base):
        return TasteShapes(_SHAPE_BOUNDS[1], _SHAPE_BOUNDS[1], _SHAPE_BOUNDS[1])
    base = max(base, 1.0)
    return TasteShapes(
        _shape(base),
        _shape(moment(pairs["channel"]) / base),
        _shape(moment(pairs["message"]) / base),
    )


def leave_one_out(
    responses: FloatArray,
    expected: FloatArray,
    group: IntArray,
    shape: float,
    scale: FloatArray | float = 1.0,
) -> FloatArray:
    """(persons, arms) factor of arm j's group from the group's other arms:
    (s + their responses) / (s + scale_ij x their expected responses)."""
    if not np.isfinite(shape) or shape >= _SHAPE_BOUNDS[1]:
        return np.ones_like(expected)
    member = (group[:, None] == np.arange(int(group.max()) + 1)[None, :]).astype(np.float64)
    total_responses = (responses @ member)[:, group]
    total_expected = (expected @ member)[:, group]
    return np.asarray(
        (shape + total_responses - responses)
        / (shape + scale * np.maximum(total_expected - expected, 0.0))
    )


def taste_factor(
    responses: FloatArray,
    expected: FloatArray,
    channel: IntArray,
    message: IntArray,
    shapes: TasteShapes,
) -> FloatArray:
    """(persons, arms) engagement x channel x message factor, each leaving arm j out.

    The channel factor of arm j compares the channel's other arms with their expectation
    under arm j's engagement; the message factor compares the message's other arms (other
    channels) with their expectation under arm j's engagement and their own channel factor.
    """
    everyone = np.zeros_like(channel)
    engagement = leave_one_out(responses, expected, everyone, shapes.engagement)
    channel_alone = leave_one_out(responses, expected, channel, shapes.channel)
    by_channel = leave_one_out(responses, expected, channel, shapes.channel, engagement)
    by_message = leave_one_out(
        responses, expected * channel_alone, message, shapes.message, engagement
    )
    return np.asarray(engagement * by_channel * by_message)
