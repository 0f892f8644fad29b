"""The demo report's persona-against-person section, on a tiny world."""

from __future__ import annotations

from pathlib import Path

from infra.demo.simulation import persona_vs_person_section, play_small_world


def test_the_section_shows_every_strategy_and_its_plots(tmp_path: Path) -> None:
    played = play_small_world(customers=300, periods=2, seeds=1)
    section = persona_vs_person_section(played, tmp_path)
    for strategy in ("uniform", "persona", "person", "oracle"):
        assert strategy in section
    assert "300 simulated customers, 2 periods of 4 weeks, 1 seeds" in section
    for plot in ("cumulative_margin", "share_of_oracle", "spend_by_decile"):
        assert (tmp_path / "simulation" / f"{plot}.png").stat().st_size > 1000
        assert f"simulation/{plot}.png" in section
