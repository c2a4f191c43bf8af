#!/usr/bin/env python3
"""Check an annotation markup file against the source texts and the machine-checkable span rules.

usage: python3 /work/annot/check.py FILE.markup
Prints one line per problem (file:line: doc: problem) and a summary; exit 1 if any problem.
"""
import re, sys
from pathlib import Path

SRC = Path("/work/annot/src")
LABELS = {"TRIGGER", "ATTACKER", "WEAPON", "TARGET", "LOCATION", "TIME", "INTERCEPTOR", "CASUALTIES", "DAMAGE"}
LEADING = {"a", "an", "the", "its", "their", "his", "her", "our", "on", "in", "at", "near", "from", "of", "by", "with", "to"}
ABBREV_END = re.compile(r"(?:\b[A-Za-z]\.){2,}$|\b(?:Gen|Col|Lt|Maj|Capt|Sgt|Corp|Inc|Co|Ltd|Dr|Mr|Mrs|St|No|Jr|Sr|Adm|Cmdr|Gov|Sen|Rep|Brig|Mt|Ft)\.$", re.I)
SPECIAL = "[]|\\"

def source_text(doc_id):
    hits = list(SRC.glob(f"*/{doc_id}.txt"))
    return hits[0].read_text(encoding="utf-8") if hits else None

def parse_body(body, first_line, problems, where):
    chars, spans, open_at, line, i = [], [], None, first_line, 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body) and body[i + 1] in SPECIAL:
            chars.append(body[i + 1]); i += 2; continue
        if c == "[":
            if open_at is not None:
                problems.append(f"{where(line)}: '[' inside a span (nested?)")
            open_at = len(chars)
        elif c == "|" and open_at is not None:
            close = body.find("]", i)
            if close == -1:
                problems.append(f"{where(line)}: span not closed"); return "".join(chars), spans
            inner = body[i + 1:close]
            label, _, ev = inner.partition("|")
            if label not in LABELS:
                problems.append(f"{where(line)}: unknown label {label!r} in [{''.join(chars[open_at:])}|{inner}]")
            events = []
            try:
                events = [int(e) for e in ev.split(",")] if ev else []
                if not events or any(e < 1 for e in events):
                    raise ValueError
            except ValueError:
                problems.append(f"{where(line)}: span [{''.join(chars[open_at:])}|{inner}] needs an event id: |LABEL|1 or |LABEL|1,2")
            spans.append((open_at, len(chars), label, events, line))
            open_at = None; i = close + 1; continue
        elif c in "]|":
            problems.append(f"{where(line)}: stray {c!r} (escape it as \\{c})")
        else:
            if c == "\n":
                if open_at is not None:
                    problems.append(f"{where(line)}: span runs across a line break")
                    open_at = None
                line += 1
            chars.append(c)
        i += 1
    if open_at is not None:
        problems.append(f"{where(line)}: span not closed")
    return "".join(chars), spans

def check(path):
    lines = Path(path).read_text(encoding="utf-8").split("\n")
    problems, seen, counts, i = [], set(), {}, 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1; continue
        if not lines[i].startswith("=== "):
            problems.append(f"{path}:{i+1}: expected '=== DOC-ID'"); i += 1; continue
        doc_id = lines[i][4:].strip(); i += 1
        if doc_id in seen: problems.append(f"{path}:{i}: {doc_id}: duplicate document")
        seen.add(doc_id)
        while i < len(lines) and lines[i].strip() != "---":
            if ":" not in lines[i]: problems.append(f"{path}:{i+1}: {doc_id}: expected 'key: value' or '---'")
            i += 1
        i += 1
        start = i
        while i < len(lines) and not lines[i].startswith("=== "):
            i += 1
        body = "\n".join(lines[start:i])
        lead = len(body) - len(body.lstrip("\n"))
        where = lambda ln, d=doc_id: f"{path}:{ln}: {d}"
        text, spans = parse_body(body.strip("\n"), start + 1 + lead, problems, where)
        src = source_text(doc_id)
        if src is None:
            problems.append(f"{path}:{start}: {doc_id}: no source text with this id"); continue
        if text != src:
            k = next((j for j in range(min(len(text), len(src))) if text[j] != src[j]), min(len(text), len(src)))
            problems.append(f"{path}:{start}: {doc_id}: text differs from the source at character {k}: markup {text[k:k+40]!r} vs source {src[k:k+40]!r}")
        mentioned = []  # the spec numbers incidents 1, 2, ... by first mention (the validator refuses other orders)
        for _, _, _, events, _ in sorted(spans, key=lambda x: (x[0], x[1])):
            mentioned += [ev for ev in sorted(events) if ev not in mentioned]
        if mentioned != list(range(1, len(mentioned) + 1)):
            problems.append(f"{path}:{start}: {doc_id}: incidents must be numbered 1, 2, ... in order of first mention; the spans give {mentioned}")
        for s, e, label, events, ln in spans:
            surface = text[s:e]
            counts[label] = counts.get(label, 0) + 1
            tag = f"{where(ln)}: [{surface}|{label}]"
            if not surface.strip(): problems.append(f"{tag}: empty span")
            elif surface != surface.strip(): problems.append(f"{tag}: space at the edge of the span")
            first = surface.split()[0].lower() if surface.split() else ""
            if first in LEADING and not re.match(r"(?i)(at (least|most)|a few)\b", surface): problems.append(f"{tag}: starts with {first!r} (leave out leading articles, possessives and prepositions)")
            if s > 0 and text[s-1].isalnum() or e < len(text) and text[e].isalnum(): problems.append(f"{tag}: cuts inside a word")
            if surface and surface[-1] in ",;:!?\"'’”)" : problems.append(f"{tag}: ends with punctuation")
            if surface.endswith(".") and not ABBREV_END.search(surface): problems.append(f"{tag}: ends with '.' (only an abbreviation keeps its period)")
            if "(" in surface or ")" in surface: problems.append(f"{tag}: parentheses inside a span")
    for p in problems: print(p)
    print(f"{path}: {len(seen)} documents, {sum(counts.values())} spans ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}), {len(problems)} problem(s)")
    return 1 if problems else 0

if __name__ == "__main__":
    sys.exit(max(check(p) for p in sys.argv[1:]))
