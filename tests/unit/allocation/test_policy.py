"""Policy files: the shipped example loads, and a bad file names the offending field."""

import json
from pathlib import Path

import pytest

from optimizer.allocation import PolicyError, load_policy, parse_policy
from tests.unit.allocation.conftest import make_policy

ROOT = Path(__file__).resolve().parents[3]


def test_cdnow_example_policy_loads_with_its_arms() -> None:
    policy = load_policy(ROOT / "policies" / "cdnow.yaml")
    assert policy.objective == "margin"
    assert ("direct_mail", "recommendations") in policy.arms
    assert ("social", "recommendations") not in policy.arms  # not carried by social
    assert len(policy.arms) == 11
    factors = policy.curve.segment_factors()
    assert factors[0] == pytest.approx(1.0)
    assert factors[1] == pytest.approx(0.7)
    assert factors[2] == pytest.approx((0.7**2 + 0.7**3) / 2)
    assert all(factors[:-1] > factors[1:])  # concave curve


def test_json_policy_loads(tmp_path: Path) -> None:
    document = make_policy().model_dump(by_alias=True)
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(document))
    assert load_policy(path).arms == make_policy().arms


@pytest.mark.parametrize(
    ("override", "field"),
    [
        (
            {"channels": {"email": {"unit_cost": -1, "frequency_cap": 1, "consent": "e"}}},
            "channels.email.unit_cost",
        ),
        ({"messages": {"m": {"channels": ["fax"]}}}, "messages.m.channels: unknown channel 'fax'"),
        ({"objective": "response", "total_budget": None}, "total_budget"),
        (
            {"mix_rules": {"global": [{"name": "x", "tag": "brand", "at_least": 1.5}]}},
            "mix_rules.global.0.at_least",
        ),
        (
            {"mix_rules": {"global": [{"name": "x", "tag": "nope", "at_most": 0.5}]}},
            "mix_rules.global.0.tag",
        ),
    ],
)
def test_bad_policy_error_names_the_field(override: dict, field: str) -> None:
    document = make_policy().model_dump(by_alias=True)
    document.update(override)
    with pytest.raises(PolicyError, match=field.replace(".", r"\.").replace("'", ".")):
        parse_policy(document)


def test_unreadable_policy_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("channels: [unclosed")
    with pytest.raises(PolicyError, match="not valid yaml"):
        load_policy(path)
