"""Checkpoints: model weights in safetensors (with the resolved config and the character's
fingerprint in its metadata), training state for resuming in a separate torch file, and the
resolved config as JSON beside them. Every file is written to a temporary name and renamed, so a
run killed mid-save keeps its previous checkpoint.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from tasktokens.character import Character

WEIGHTS, STATE, CONFIG = "checkpoint.safetensors", "train_state.pt", "config.json"


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message names the file and the fix."""


def to_jsonable(obj):
    """Dataclass configs (nested, with Paths and tuples) as plain JSON values."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


def _atomic(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def save_weights(path: Path, tensors: dict[str, torch.Tensor], config, character: Character, extra: dict | None = None) -> None:
    """Weights + metadata (config, character fingerprint, extra counters) to safetensors."""
    meta = {
        "config": json.dumps(to_jsonable(config)),
        "character": json.dumps(character.fingerprint()),
        **{k: json.dumps(v) for k, v in (extra or {}).items()},
    }
    tensors = {k: v.detach().contiguous().cpu() for k, v in tensors.items()}
    _atomic(Path(path), lambda p: save_file(tensors, str(p), metadata=meta))


def load_weights(path: Path, character: Character) -> tuple[dict[str, torch.Tensor], dict]:
    """Tensors and decoded metadata; refuses a checkpoint made for another character."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: no such checkpoint")
    try:
        tensors = load_file(str(path))
        from safetensors import safe_open

        with safe_open(str(path), "pt") as f:
            meta = {k: json.loads(v) for k, v in (f.metadata() or {}).items()}
    except (SafetensorError, OSError, json.JSONDecodeError) as err:
        raise CheckpointError(f"{path}: not a readable tasktokens safetensors checkpoint ({err})") from err
    found = meta.get("character")
    if found != character.fingerprint():
        name = found.get("character") if isinstance(found, dict) else found
        raise CheckpointError(
            f"{path}: checkpoint is for character {name!r} (or another version of it), not {character.name!r}; "
            f"pass a checkpoint trained for {character.name!r} or select its character with --character"
        )
    return tensors, meta


def save_run(out: Path, tensors: dict[str, torch.Tensor], state: dict, config, character: Character, extra: dict) -> None:
    """Write weights, training state and resolved config into the run folder."""
    out.mkdir(parents=True, exist_ok=True)
    save_weights(out / WEIGHTS, tensors, config, character, extra)
    _atomic(out / STATE, lambda p: torch.save(state, p))
    _atomic(out / CONFIG, lambda p: p.write_text(json.dumps(to_jsonable(config), indent=2)))


def from_jsonable(cls, data):
    """Rebuild a (nested) dataclass config from to_jsonable output; unknown keys are an error."""
    import typing

    if not dataclasses.is_dataclass(cls):
        return data
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise CheckpointError(f"config for {cls.__name__} has unknown fields {sorted(unknown)}")
    kwargs = {}
    for name, value in data.items():
        hint = hints[name]
        origin = typing.get_origin(hint)
        if dataclasses.is_dataclass(hint):
            kwargs[name] = from_jsonable(hint, value)
        elif origin is tuple:
            args = typing.get_args(hint)
            inner = args[0] if args else None
            kwargs[name] = tuple(Path(v) if inner is Path else v for v in value)
        elif hint is Path or (origin is not None and Path in typing.get_args(hint) and value is not None):
            kwargs[name] = Path(value)
        else:
            kwargs[name] = value
    return cls(**kwargs)
