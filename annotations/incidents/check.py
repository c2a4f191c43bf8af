import json, re, sys
inp, out, kind = sys.argv[1], sys.argv[2], sys.argv[3]
docs = {}; order = []
cur = None; mode = None
for line in open(inp):
    line = line.rstrip("\n")
    if line.startswith("=== DOC "):
        cur = line[8:]; docs[cur] = []; order.append(cur); mode = None; continue
    if line.startswith("--- spans"): mode = "spans"; continue
    if line.startswith("--- text"): mode = "text"; continue
    if mode == "spans" and line.strip():
        parts = line.split("\t")
        docs[cur].append(parts[4].split(",") if len(parts) > 4 else None)
problems = []; seen = set(); n = 0
iso = re.compile(r"^\d{4}(-\d\d(-\d\d)?)?(/\d{4}(-\d\d(-\d\d)?)?)?$")
for i, line in enumerate(open(out), 1):
    if not line.strip(): continue
    try: r = json.loads(line)
    except Exception as e: problems.append(f"line {i}: not JSON: {e}"); continue
    if r.get("id") not in docs: problems.append(f"line {i}: unknown id {r.get('id')}"); continue
    spans = docs[r["id"]]
    if kind == "events":
        if r["id"] in seen: problems.append(f"line {i}: {r['id']} twice")
        seen.add(r["id"]); n += 1
        ev = r.get("events")
        if not isinstance(ev, list) or len(ev) != len(spans):
            problems.append(f"line {i}: {r['id']}: events must be a list of {len(spans)} lists"); continue
        firsts = []
        for j, e in enumerate(ev):
            if not (isinstance(e, list) and e and all(isinstance(x, int) and x >= 1 for x in e)):
                problems.append(f"line {i}: {r['id']} span {j}: need a non-empty list of ints >= 1")
                continue
            for x in sorted(e):
                if x not in firsts: firsts.append(x)
        if firsts and firsts != list(range(1, len(firsts) + 1)):
            problems.append(f"line {i}: {r['id']}: incidents must be numbered 1,2,... in order of first mention (got order {firsts})")
    else:
        key = (r["id"], r.get("event"))
        if key in seen: problems.append(f"line {i}: {key} twice")
        seen.add(key); n += 1
        ids = {int(x) for e in spans if e for x in e}
        if r.get("event") not in ids: problems.append(f"line {i}: {r['id']} has no event {r.get('event')}")
        t = r.get("time")
        if t is not None and not (isinstance(t, str) and iso.match(t)): problems.append(f"line {i}: bad time {t!r}")
        for k in ("killed", "injured"):
            v = r.get(k, "missing")
            if v == "missing": problems.append(f"line {i}: no {k}")
            elif v is not None and not (isinstance(v, dict) and isinstance(v.get("count"), int) and isinstance(v.get("at_least"), bool)):
                problems.append(f"line {i}: {k} must be null or {{count:int, at_least:bool}}")
        if not isinstance(r.get("intercepted"), bool): problems.append(f"line {i}: intercepted must be true/false")
        if r.get("damaged", "missing") not in (True, False, None): problems.append(f"line {i}: damaged must be true/false/null")
if kind == "values":
    want = {(d, int(x)) for d, spans in docs.items() for e in spans if e for x in e}
    missing = want - seen
    print(f"{len(missing)} incidents not yet written" + (f", e.g. {sorted(missing)[:3]}" if missing else ""))
else:
    print(f"{len(docs) - len(seen)} documents not yet written")
print(f"{n} records; {len(problems)} problems")
for p in problems[:40]: print(p)
