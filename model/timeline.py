"""One incident reported by several articles: merging records into a timeline.

Two records from different articles are the same incident when nothing they
state conflicts and they share a place: their dates agree (the same day, or
one inside the other: "2020-01" holds "2020-01-03"; both must be dated), a
place named by one (LOCATION or TARGET) shares a content word with a place of
the other, and where both name weapons, they share a weapon word. Records of
one article are never merged with each other, not even through a third: the
grouping already decided those.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from .incidents import Incident

# The columns of a timeline row (``TimelineRow.to_row``).
TIMELINE_FIELDS = ("time", "places", "attackers", "weapons", "killed", "injured", "intercepted", "sources")
_STOP = frozenset("the a an of in at on near from to and or province district city town village region area base "
                  "north south east west northern southern eastern western central".split())


@dataclass(frozen=True)
class TimelineRow:
    time: str | None
    records: tuple[tuple[str, Incident], ...]  # (source article, its record)

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(source for source, _ in self.records))

    def values(self, label: str) -> list[str]:
        return list(dict.fromkeys(s.text for _, r in self.records for s in r.spans if s.label == label))

    def to_dict(self) -> dict:
        def best(name):
            counts = [getattr(r, name) for _, r in self.records if getattr(r, name) is not None]
            return max(counts, key=lambda c: c.count).to_dict() if counts else None

        return {
            "time": self.time, "sources": self.sources,
            "places": self.values("LOCATION") + self.values("TARGET"), "attackers": self.values("ATTACKER"),
            "weapons": self.values("WEAPON"), "killed": best("killed"), "injured": best("injured"),
            "intercepted": any(r.intercepted for _, r in self.records),
            "records": [{"source": source, **record.to_dict()} for source, record in self.records],
        }

    def to_row(self) -> dict:
        record = self.to_dict()

        def count(value):
            return "" if value is None else f"{'>=' if value['at_least'] else ''}{value['count']}"

        return {"time": self.time or "", "places": " | ".join(record["places"]), "attackers": " | ".join(record["attackers"]),
                "weapons": " | ".join(record["weapons"]), "killed": count(record["killed"]), "injured": count(record["injured"]),
                "intercepted": "yes" if record["intercepted"] else "no", "sources": " | ".join(record["sources"])}


def _words(texts: Sequence[str]) -> set[str]:
    return {w.rstrip("s") for t in texts for w in re.findall(r"[a-z0-9-]+", t.lower()) if w not in _STOP and len(w) > 2}


def _dates_agree(a: str | None, b: str | None) -> bool:
    if a is None or b is None or "/" in a or "/" in b:
        return False
    return a.startswith(b) or b.startswith(a)


def same_incident(a: Incident, b: Incident) -> bool:
    if not _dates_agree(a.time.iso if a.time else None, b.time.iso if b.time else None):
        return False
    places_a = _words([s.text for s in a.spans if s.label in ("LOCATION", "TARGET")])
    places_b = _words([s.text for s in b.spans if s.label in ("LOCATION", "TARGET")])
    if not places_a & places_b:
        return False
    weapons_a = _words([s.text for s in a.spans if s.label == "WEAPON"])
    weapons_b = _words([s.text for s in b.spans if s.label == "WEAPON"])
    return not (weapons_a and weapons_b) or bool(weapons_a & weapons_b)


def merge_records(articles: Sequence[tuple[str, Sequence[Incident]]]) -> list[TimelineRow]:
    """Timeline rows, by date (undated last), from each article's records."""
    flat = [(source, record) for source, records in articles for record in records]
    parent = list(range(len(flat)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    sources = [{source} for source, _ in flat]  # per root: the articles its group holds
    for i in range(len(flat)):
        for j in range(i + 1, len(flat)):
            a, b = root(i), root(j)
            if a != b and not sources[a] & sources[b] and same_incident(flat[i][1], flat[j][1]):
                parent[b] = a
                sources[a] |= sources[b]
    groups: dict[int, list[int]] = {}
    for i in range(len(flat)):
        groups.setdefault(root(i), []).append(i)
    rows = []
    for members in groups.values():
        records = tuple(flat[i] for i in members)
        dated = [r.time.iso for _, r in records if r.time]
        rows.append(TimelineRow(max(dated, key=len) if dated else None, records))
    return sorted(rows, key=lambda row: (row.time is None, row.time or "", row.sources))
