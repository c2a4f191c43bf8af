"""Write the annotators' input files: each document's text and its numbered spans.

usage: python annotations/incidents/prepare.py OUT_DIR

Writes the seeds and the authored texts (for incident ids, in four groups), two halves of
100 real documents chosen by the hash of their id plus the seeds (for the blind second
grouping), and the real-dev and real-test documents with their ids (for the gold values).
"""
import hashlib
import json
import re
import sys
from pathlib import Path
from eventslots.training.corpus.loading import load_documents
from eventslots.training.corpus.documents import annotation_files, read_records, Document

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else sys.exit(__doc__)
OUT.mkdir(parents=True, exist_ok=True)

def render(d, with_events):
    lines = [f"=== DOC {d.id}"]
    pub = re.search(r"(\d{4})\.(\d\d)\.(\d\d)", d.id)
    if pub: lines.append(f"(published {pub.group(1)}-{pub.group(2)}-{pub.group(3)}, from the document id)")
    lines += ["--- text", d.text, "--- spans (index, offsets, label, surface" + (", event ids)" if with_events else ")")]
    for i, s in enumerate(d.spans):
        ev = ("\t" + ",".join(map(str, s.event))) if with_events else ""
        lines.append(f"{i}\t{s.start}-{s.end}\t{s.label}\t{s.text}{ev}")
    lines.append("")
    return "\n".join(lines)

def write(name, docs, with_events):
    (OUT / f"{name}.txt").write_text("\n".join(render(d, with_events) for d in docs))
    print(name, len(docs), sum(len(d.spans) for d in docs))

real = load_documents(sources=["real"])
seeds = load_documents(sources=["seed"])
write("seeds", seeds, False)
# grouping second pass: 100 real documents with spans, chosen by hash of id
withspans = [d for d in real if d.spans]
chosen = sorted(withspans, key=lambda d: hashlib.sha256(d.id.encode()).hexdigest())[:100]
chosen.sort(key=lambda d: d.id)
write("second-real-a", chosen[:50], False)
write("second-real-b", chosen[50:], False)
write("second-seeds", seeds, False)
for split in ("real-dev", "real-test"):
    write("values-" + split, [d for d in real if d.meta.get("split") == split and d.spans], True)
# authored: by file, four groups
files = [p for p in annotation_files() if "/authored/" in str(p)]
groups = [[], [], [], []]
docs_by_file = []
for p in sorted(files):
    ds = [Document.from_json(json.loads(l)) for _, l in read_records(p)]
    docs_by_file.append((p.name, ds))
sizes=[0,0,0,0]
for name, ds in sorted(docs_by_file, key=lambda x: -len(x[1])):
    k = sizes.index(min(sizes)); groups[k].append((name, ds)); sizes[k]+=len(ds)
for k, g in enumerate(groups):
    print("authored group", k, [n for n,_ in g])
    write(f"authored-{k}", [d for _, ds in g for d in ds], False)
