"""Extract real documents (MUC-4 raw texts, WikiEvents) into plain text files for annotation."""
import json, re, sys, hashlib
from pathlib import Path
DATA = Path("/work/shared/data")
ID_LINE = re.compile(r"^((?:DEV-MUC3|TST1-MUC3|TST2-MUC4|TST3-MUC4|TST4-MUC4)-\d{4})\b.*$", re.M)
BRACKET = re.compile(r"\[[^\]]*\]")

def muc_docs(path):
    raw = Path(path).read_text(encoding="latin-1")
    heads = list(ID_LINE.finditer(raw))
    for i, m in enumerate(heads):
        body = raw[m.end(): heads[i + 1].start() if i + 1 < len(heads) else len(raw)]
        yield m.group(1), clean_muc(body)

def clean_muc(body):
    body = BRACKET.sub(" ", body)
    paras = [" ".join(line.strip() for line in p.splitlines() if line.strip()) for p in re.split(r"\n\s*\n", body)]
    paras = [re.sub(r"\s+", " ", p).strip() for p in paras]
    paras = [re.sub(r" ([,.;:])", r"\1", p) for p in paras]
    return "\n\n".join(p for p in paras if p)

def wikievents_text(record):
    return " ".join(s[1].strip() for s in record["sentences"])

if __name__ == "__main__":
    out = Path("/work/annot/src")
    c = DATA / "muc4/raw_muc34/TASK/CORPORA"
    n = 0
    for f, tag in [(c / "tst4/tst4-muc4.mixed-case", "tst4"), (c / "tst1/tst1-muc3", "tst1"), (c/"tst2/tst2-muc4","tst2"), (c/"tst3/tst3-muc4","tst3")] + [(p, "dev") for p in sorted((c / "dev").glob("dev-muc3-*"))]:
        for doc_id, text in muc_docs(f):
            (out / tag).mkdir(exist_ok=True)
            (out / tag / f"{doc_id}.txt").write_text(text, encoding="utf-8"); n += 1
    for split in ("dev", "test"):
        (out / f"we-{split}").mkdir(exist_ok=True)
        for line in open(DATA / f"wikievents/{split}.jsonl"):
            r = json.loads(line)
            (out / f"we-{split}" / f"{r['doc_id']}.txt").write_text(wikievents_text(r), encoding="utf-8"); n += 1
    print(n)
