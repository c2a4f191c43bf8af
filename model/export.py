"""Writing a trained tagger's forward pass as ONNX graphs, for the ONNX Runtime backends.

Two graphs go beside the weights (``store.ONNX_FILES``). The fp32 graph is
exported from torch (with eager attention, which ONNX Runtime's transformer
optimizer recognises) and fused by that optimizer into its attention,
embedding-norm, skip-norm and bias-GELU kernels. The int8 graph is made from it
by ONNX Runtime's dynamic quantisation (weights stored as int8, activations
quantised per batch) of every weight matrix product except the feed-forward
down-projections and the classifier (``quantised_nodes``; mpnet's attention products only). Both take padded
windows and give the tag probabilities (softmax inside the graph) and the last
layer's states, which the incident grouping reads. Training writes them into a
run before it is published; ``eventslots export onnx`` adds them to older runs.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .backends import INPUTS, OUTPUTS
from .store import ONNX_FILES

OPSET = 17


def export_onnx(model, folder: Path) -> dict[str, Path]:
    """Write both graphs of ``model`` (a Hugging Face token classifier) into ``folder``; each file
    appears complete or not at all."""
    import logging
    import warnings

    import torch

    folder = Path(folder)
    written = {}
    with tempfile.TemporaryDirectory(prefix=".onnx-", dir=folder) as scratch:
        fp32 = Path(scratch) / ONNX_FILES["onnx"]
        int8 = Path(scratch) / ONNX_FILES["onnx-int8"]
        # The tracer's and quantiser's advice is for other graphs; the outputs are checked against torch
        # (tests/test_backends.py, benchmarks/bench_backends.py).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            logging.disable(logging.WARNING)
            try:
                _export_fp32(model, fp32, torch)
                _quantise(fp32, int8, model.config.model_type)
            finally:
                logging.disable(logging.NOTSET)
        for backend, made in (("onnx", fp32), ("onnx-int8", int8)):
            os.replace(made, folder / ONNX_FILES[backend])
            written[backend] = folder / ONNX_FILES[backend]
    return written


def _export_fp32(model, path: Path, torch) -> None:
    class Reading(torch.nn.Module):
        """What the runtime needs of one forward pass: probabilities and last-layer states."""

        def __init__(self, tagger):
            super().__init__()
            self.tagger = tagger

        def forward(self, input_ids, attention_mask):
            output = self.tagger(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
            return torch.softmax(output.logits.float(), dim=-1), output.hidden_states[-1]

    # torch.onnx.export hands the wrapper back in the mode it had, train() for a new module, and that
    # reaches the tagger: restored below, else a caller reading with it after the export would read with dropout on.
    was_training = model.training
    model.eval()
    example = (torch.ones((2, 16), dtype=torch.long), torch.ones((2, 16), dtype=torch.long))
    dynamic = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, *OUTPUTS)}
    attention = getattr(model.config, "_attn_implementation", None)
    # Eager attention traces to the MatMul-Softmax pattern the optimizer fuses; SDPA traces to one it does not.
    if attention and attention != "eager":
        model.set_attn_implementation("eager")
    try:
        with torch.inference_mode():
            torch.onnx.export(
                Reading(model), example, str(path), input_names=list(INPUTS), output_names=list(OUTPUTS),
                dynamic_axes=dynamic, opset_version=OPSET, dynamo=False,
            )
    finally:
        if attention and attention != "eager":
            model.set_attn_implementation(attention)
        model.train(was_training)
    _fuse(path, model.config)


def _fuse(path: Path, config) -> None:
    """ONNX Runtime's transformer optimizer, in place: same outputs (to 1e-6), fewer and faster kernels."""
    from onnxruntime.transformers import optimizer

    heads, hidden = getattr(config, "num_attention_heads", 0), getattr(config, "hidden_size", 0)
    kind = "bert" if config.model_type in ("bert", "roberta", "distilbert") else None
    if kind is None:
        return  # other encoders (mpnet) keep ONNX Runtime's own load-time fusions
    fused = optimizer.optimize_model(str(path), model_type=kind, num_heads=heads, hidden_size=hidden, opt_level=1)
    fused.save_model_to_file(str(path))


# Encoders whose feed-forward up-projection int8 cannot serve either: on a trained mpnet tagger it took
# agreement with fp32 from 0.99 to 0.96, under the backend gate (benchmarks/results/bench_quantisation-mpnet.md).
ATTENTION_ONLY = frozenset({"mpnet"})


def quantised_nodes(graph, model_type: str = "bert") -> list[str]:
    """The matrix products int8 serves: attention (fused or as its Q, K, V products), the attention
    output and the feed-forward up-projection of every encoder layer. The feed-forward down-projections
    (whose input, the GELU's output, has outliers that one int8 scale per batch cannot hold) and the
    classifier stay fp32: quantising them too was 1.3x faster but moved 3% of real-dev's spans (README, "Speed").
    Encoders of ``ATTENTION_ONLY`` types keep their up-projections fp32 too."""
    import re

    weights = {initializer.name for initializer in graph.initializer}
    chosen = []
    for node in graph.node:
        if node.op_type == "Attention":
            chosen.append(node.name)
        elif node.op_type == "MatMul" and re.search(r"/layer\.\d+/", node.name) and any(name in weights for name in node.input):
            attention = "/attention/" in node.name
            if attention or not (is_down_projection(node.name) or model_type in ATTENTION_ONLY):
                chosen.append(node.name)
    return chosen


def is_down_projection(name: str) -> bool:
    """Whether a product named ``name`` is a feed-forward down-projection (the attention output's dense is not)."""
    return "/output/dense" in name and "/attention/" not in name


def _quantise(fp32: Path, int8: Path, model_type: str) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Signed int8 weights with one scale per output channel, chosen on real-dev among the variants of
    # benchmarks/bench_backends.py's notes (unsigned, per tensor, 7-bit, which products) for agreement with fp32.
    nodes = quantised_nodes(onnx.load(str(fp32), load_external_data=False).graph, model_type)
    # The fused kernels are ONNX Runtime's own operators, which ONNX's shape inference cannot type.
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True, nodes_to_quantize=nodes,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
