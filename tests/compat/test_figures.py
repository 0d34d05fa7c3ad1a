"""The README's compatibility figures are the recordings' (see tests/compat/figures.py)."""

from __future__ import annotations

from tests.compat import figures


def test_readme_figures_match_the_recordings() -> None:
    expected = figures.readme_block([figures.count(p) for p in figures.PEERS])

    assert figures.current_block(figures.README.read_text()) == expected, (
        "README.md's compatibility figures are stale: run "
        "`python -m tests.compat.figures --replay --write-readme`"
    )


def test_figures_count_scenarios_exchanges_and_marked_deviations() -> None:
    glare = figures.count("glare")

    assert glare.scenarios == len(figures.recordings("glare"))
    assert 0 < glare.deviating < glare.exchanges
    assert glare.identical == glare.exchanges - glare.deviating
