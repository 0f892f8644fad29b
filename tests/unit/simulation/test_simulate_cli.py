"""`percapita simulate`: table, JSON with intervals, report files, clear errors."""

import json
from pathlib import Path

import pytest

from infra.cli import main

SMALL = ["simulate", "--customers", "400", "--periods", "2", "--seeds", "2"]


def test_json_has_every_strategy_with_intervals(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main([*SMALL, "--json", "--out", str(tmp_path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["strategies"]) == {"uniform", "persona", "person", "oracle"}
    for figures in out["strategies"].values():
        for key in ("incremental_margin", "spend", "share_of_oracle"):
            assert figures[key]["low"] <= figures[key]["mean"] <= figures[key]["high"]
    assert out["config"]["seeds"] == [1, 2]
    for name in (
        "index.html",
        "cumulative_margin.png",
        "share_of_oracle.png",
        "spend_by_decile.png",
    ):
        assert (tmp_path / name).stat().st_size > 0
    assert "spend_by_decile.png" in (tmp_path / "index.html").read_text()


def test_table_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*SMALL, "--strategies", "persona,oracle"]) == 0
    out = capsys.readouterr().out
    assert "share of oracle" in out and "persona" in out and "person " not in out


def test_unknown_strategy_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*SMALL, "--strategies", "persona,magic"]) == 2
    assert "--strategies: unknown ['magic']" in capsys.readouterr().err


def test_policy_with_mix_rules_runs_on_the_allocation_engine(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    policy = {
        "objective": "margin",
        "channels": {
            "email": {"unit_cost": 0.02, "frequency_cap": 2, "consent": "email"},
            "social": {"unit_cost": 0.03, "frequency_cap": 2, "consent": "social"},
        },
        "messages": {
            "discount": {"channels": ["email", "social"], "tags": ["promo"]},
            "brand_story": {"channels": ["email", "social"], "tags": ["brand"]},
        },
        "mix_rules": {"global": [{"name": "promo_cap", "tag": "promo", "at_most": 0.6}]},
    }
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy))
    assert main([*SMALL, "--policy", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["config"]["engine"] == "allocation"
    assert main([*SMALL, "--policy", str(path), "--engine", "simulator"]) == 2
    assert "message-mix rules" in capsys.readouterr().err


def test_bad_policy_file_names_the_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"channels": {"email": {"unit_cost": -1}}, "messages": {}}))
    assert main([*SMALL, "--policy", str(path)]) == 2
    assert "unit_cost" in capsys.readouterr().err


def test_world_and_learning_overrides_reach_the_config() -> None:
    import argparse

    from infra.cli.simulate import _config, register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(
        [
            *SMALL,
            "--world",
            "open_rate={}",
            "--world",
            "channel_taste_shape=inf",
            "--world",
            "message_taste_shape=2.5",
            "--learning",
            "use_opens=false",
        ]
    )
    config = _config(args)
    assert config.world.open_rate == {} and config.world.message_taste_shape == 2.5
    assert config.world.channel_taste_shape == float("inf")
    assert config.learning.use_opens is False


def test_unknown_world_field_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*SMALL, "--world", "opens=3"]) == 2
    assert "--world opens=3: expected KEY=VALUE" in capsys.readouterr().err
