"""Hypothesis strategies shared by the property tests: versions and version ranges.

Versions come from a small pool of numbers and pre-release tags, so that random ranges and random
stored versions often meet at their edges (same patch, a pre-release of the bound, equal keys),
where a translation into SQL goes wrong if it is going to.
"""

from __future__ import annotations

from hypothesis import strategies as st

numbers = st.integers(min_value=0, max_value=3) | st.sampled_from([9, 10, 11])
prerelease_tags = st.sampled_from(
    ["", "0", "1", "alpha", "alpha.1", "alpha.beta", "beta.2", "beta.11", "rc.1", "rc-1", "A"]
)
builds = st.sampled_from(["", "", "", "b1", "build.5"])


@st.composite
def versions(draw: st.DrawFn, *, with_build: bool = True) -> str:
    """A full SemVer version from the pool, sometimes with pre-release and build metadata."""
    text = f"{draw(numbers)}.{draw(numbers)}.{draw(numbers)}"
    pre = draw(prerelease_tags)
    if pre:
        text += f"-{pre}"
    build = draw(builds) if with_build else ""
    return text + (f"+{build}" if build else "")


@st.composite
def partial_versions(draw: st.DrawFn, wildcards: tuple[str, ...]) -> str:
    """A version as ranges write it: full, "1", "1.2", or with wildcards ("1.x", "*")."""
    shape = draw(st.integers(0, 5))
    if shape <= 2:
        return draw(versions(with_build=False))
    major, minor = draw(numbers), draw(numbers)
    if shape == 3:
        return str(major)
    if shape == 4:
        return f"{major}.{minor}"
    wildcard = draw(st.sampled_from(wildcards))
    return draw(st.sampled_from([wildcard, f"{major}.{wildcard}", f"{major}.{minor}.{wildcard}"]))


@st.composite
def npm_ranges(draw: st.DrawFn) -> str:
    """An npm-style range: groups of space-separated comparators joined by "||"."""

    def comparator() -> str:
        if draw(st.integers(0, 7)) == 0:  # a hyphen range
            low = draw(partial_versions(("x",)))
            high = draw(partial_versions(("x",)))
            return f"{low} - {high}"
        op = draw(st.sampled_from(["", "=", "<", "<=", ">", ">=", "^", "~"]))
        return op + draw(partial_versions(("x", "X", "*")))

    groups = [
        " ".join(comparator() for _ in range(draw(st.integers(1, 3))))
        for _ in range(draw(st.integers(1, 3)))
    ]
    return " || ".join(groups)


@st.composite
def simple_ranges(draw: st.DrawFn) -> str:
    """A range in semantic-version's simple syntax: comma-separated clauses."""
    ops = ["", "==", "!=", "<", "<=", ">", ">=", "^", "~", "~="]
    blocks = [
        draw(st.sampled_from(ops)) + draw(partial_versions(("*",)))
        for _ in range(draw(st.integers(1, 3)))
    ]
    return ",".join(blocks)


ranges = npm_ranges() | simple_ranges()
