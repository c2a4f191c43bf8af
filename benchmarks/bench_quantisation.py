"""Which matrix products the int8 graph quantises: agreement with fp32 against speed.

Each variant quantises (ONNX Runtime dynamic quantisation, signed int8 weights
per output channel) a different set of the weight products of the model's fused
fp32 graph (``model.onnx``), and is scored like the gate in
``bench_backends.py``: exact-span agreement with fp32 torch on the seeds and on
real-dev, and articles/s on the seeds. The shipped recipe is
``model.export.quantised_nodes``: "all but the down-projections", and for
mpnet "attention only".

    python benchmarks/bench_quantisation.py [--model DIR] [--name bench_quantisation]

Writes ``benchmarks/results/NAME.{json,md}`` (``--name``, so that another
model's run, such as an mpnet tagger's, keeps the default's table).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from pathlib import Path

from reporting import write_results  # benchmarks/reporting.py


def layer_of(node) -> int | None:
    match = re.search(r"/layer\.(\d+)/", node.name) or re.match(r"Attention_(\d+)$", node.name)
    return int(match.group(1)) if match else None


def variants(graph, model_type: str) -> dict[str, list[str]]:
    from eventslots.model.export import is_down_projection, quantised_nodes

    weights = {i.name for i in graph.initializer}
    products = [n for n in graph.node if n.op_type == "Attention" or (n.op_type == "MatMul" and any(i in weights for i in n.input))]
    last = max(layer_of(n) for n in products if layer_of(n) is not None)
    return {
        "every weight product, the classifier too": [n.name for n in products],
        "every encoder product": [n.name for n in products if layer_of(n) is not None],
        "encoder products of layers 2 to the last but one": [n.name for n in products if layer_of(n) not in (None, 0, last)],
        "all but the down-projections": [n.name for n in products if layer_of(n) is not None and not is_down_projection(n.name)],
        "shipped (model.export.quantised_nodes)": quantised_nodes(graph, model_type),
        "attention and up-projections only": [n.name for n in products if n.op_type == "Attention" or "/intermediate/" in n.name],
        # Fused (BERT) or as the q, k, v and o products (mpnet's graph, which the optimizer does not fuse).
        "attention only": [n.name for n in products if n.op_type == "Attention" or "/attention/" in n.name],
        "down-projections only": [n.name for n in products if is_down_projection(n.name)],
    }


def main() -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from eventslots.model.backends import OnnxTagger, Tokenizer, model_tags
    from eventslots.model.inference import Extractor
    from eventslots.model.paths import SEEDS_DIR, default_model_dir
    from eventslots.model.store import onnx_file
    from eventslots.training.corpus import load_documents
    from eventslots.training.corpus.real import split_documents
    from eventslots.training.backend_gate import exact_agreement

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(default_model_dir()))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--name", default="bench_quantisation", help="results file name under benchmarks/results/")
    args = parser.parse_args()
    model = Path(args.model).resolve()
    seeds = [p.read_text(encoding="utf-8") for p in sorted(SEEDS_DIR.glob("*.txt"))]
    dev = [d.text for d in split_documents(load_documents(), "real-dev")]
    reference = Extractor.load(model, backend="torch")
    expected = reference.predict_batch(seeds), reference.predict_batch(dev)

    fp32 = onnx_file(model, "onnx")
    graph = onnx.load(str(fp32), load_external_data=False).graph
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        model_type = json.loads((model / "config.json").read_text(encoding="utf-8"))["model_type"]
        for name, nodes in {"none (fp32 graph)": [], **variants(graph, model_type)}.items():
            path = fp32
            if nodes:
                path = Path(scratch) / "variant.onnx"
                quantize_dynamic(str(fp32), str(path), weight_type=QuantType.QInt8, per_channel=True, nodes_to_quantize=nodes,
                                 extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
            extractor = Extractor(OnnxTagger(path, model_tags(model), threads=2, quantised=bool(nodes)), Tokenizer(model), calibration=reference.calibration,
                                  schema=reference.schema)
            found = extractor.predict_batch(seeds), extractor.predict_batch(dev)
            runs = []
            for _ in range(args.repeats):
                started = time.perf_counter()
                extractor.predict_batch(seeds)
                runs.append(time.perf_counter() - started)
            rows.append({"variant": name, "products": len(nodes), "agreement_seeds": exact_agreement(seeds, expected[0], found[0]),
                         "agreement_dev": exact_agreement(dev, expected[1], found[1]), "articles_per_second": len(seeds) / statistics.median(runs)})
            print(rows[-1], flush=True)
    base = rows[0]["articles_per_second"]
    lines = [
        f"Model {args.model}; int8 variants of its fused fp32 graph; agreement: exact-span F1 against fp32 torch at the default "
        f"threshold; speed on the seeds, 2 threads, median of {args.repeats}. The gate asks 0.97 on both.\n",
        "| int8 products | how many | agreement, seeds | agreement, real-dev | seeds: articles/s | vs fp32 graph |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['variant']} | {r['products']} | {r['agreement_seeds']:.3f} | {r['agreement_dev']:.3f} | "
                     f"{r['articles_per_second']:.2f} | {r['articles_per_second'] / base:.2f}x |")
    write_results(args.name, rows, lines)


if __name__ == "__main__":
    main()
