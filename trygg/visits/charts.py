"""A chart of granted against performed time, drawn as an inline SVG by the page's template:
here only the geometry, so the page needs no script and the chart prints and scales."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 420
LABEL_HEIGHT = 20
BAR_HEIGHT = 16
GAP = 4
GROUP_GAP = 14
# Room at the bar's end for its figure.
FIGURES = 90


@dataclass(frozen=True)
class Bar:
    """Coordinates as text: a template would write a float with the page language's decimal
    comma, which SVG does not read."""

    y: str
    width: str
    text_x: str
    text_y: str
    hours: str


def _bar(y: float, width: float, hours: str) -> Bar:
    return Bar(f"{y:.1f}", f"{width:.1f}", f"{width + 6:.1f}", f"{y + BAR_HEIGHT - 3:.1f}", hours)


@dataclass(frozen=True)
class Group:
    label: str
    label_y: str
    granted: Bar
    performed: Bar
    share: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    groups: list[Group]


def _hours(minutes: float) -> str:
    return f"{minutes / 60:,.0f} h".replace(",", "\u00a0")


def granted_against_performed(items: Sequence[tuple[str, float, float]]) -> Chart:
    """One group per item: its label, then a bar of granted and one of performed time,
    scaled to the largest value of all."""
    largest = max([max(granted, performed) for _label, granted, performed in items] or [0])
    scale = (WIDTH - FIGURES) / largest if largest else 0.0
    groups: list[Group] = []
    y = 0.0
    for label, granted, performed in items:
        label_y = f"{y + LABEL_HEIGHT - 5:.1f}"
        top = y + LABEL_HEIGHT
        share = f"{performed / granted:.0%}" if granted else "—"
        groups.append(
            Group(
                label=label,
                label_y=label_y,
                granted=_bar(top, granted * scale, _hours(granted)),
                performed=_bar(top + BAR_HEIGHT + GAP, performed * scale, _hours(performed)),
                share=share,
            )
        )
        y = top + 2 * BAR_HEIGHT + GAP + GROUP_GAP
    return Chart(width=WIDTH, height=max(int(y), 1), groups=groups)
