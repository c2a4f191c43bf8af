"""Weight averaging ("model soup"): several fine-tunings of one encoder, averaged into one model.

Runs that differ only in their seed start from the same pretrained weights
and usually land in one basin, so their average often scores like an
ensemble of them at the cost of one model (Wortsman et al., 2022). The
averaged model is published like any trained one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from eventslots.model import store
from eventslots.model.export import export_onnx


def average_models(model_dirs: Sequence[str | Path], output: str | Path) -> Path:
    """Average the weights of ``model_dirs`` (same architecture and tags) and publish them at ``output``."""
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    if len(model_dirs) < 2:
        raise ValueError("a soup needs at least two models")
    models = [AutoModelForTokenClassification.from_pretrained(Path(d)) for d in model_dirs]
    states = [m.state_dict() for m in models]
    if any(s.keys() != states[0].keys() for s in states):
        raise ValueError("the models differ in architecture; only fine-tunings of one encoder can be averaged")
    souped = models[0]
    souped.load_state_dict({
        name: (torch.stack([s[name].float() for s in states]).mean(0).to(tensor.dtype) if tensor.is_floating_point() else tensor)
        for name, tensor in states[0].items()
    })
    tokenizer = AutoTokenizer.from_pretrained(Path(model_dirs[0]))
    ingredients = [store.read_settings(Path(d)) for d in model_dirs]
    settings = dict(ingredients[0])
    settings["soup_of"] = [i.get("config", {}) for i in ingredients]
    settings["training_seconds"] = sum(i.get("training_seconds", 0) for i in ingredients)

    def save(folder: Path) -> None:
        souped.save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        export_onnx(souped, folder)
        (folder / store.SETTINGS_FILE).write_text(json.dumps(settings, indent=2), encoding="utf-8")
        (folder / "README.md").write_text(
            f"# eventslots model soup\n\nThe weights of {len(model_dirs)} fine-tunings averaged "
            "(`eventslots.training.soup`); see each run's settings in `eventslots.json` (`soup_of`).\n", encoding="utf-8")

    with store.writing(Path(output)):
        store.write_run(save, Path(output))
    return Path(output)
