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
from tasktokens.paths import REPO_ROOT

WEIGHTS, CONFIG = "checkpoint.safetensors", "config.json"
STATE, STATE_JSON = "train_state.safetensors", "train_state.json"
"""Training state for resuming, without pickles: its tensors (optimizer moments, RNG states) in
safetensors, everything else in JSON."""


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message names the file and the fix."""




def repo_relative(path: Path) -> str:
    """A path inside the repository as relative to its root (so saved configs stay valid in
    another clone), any other path unchanged."""
    p = Path(path)
    if p.is_absolute() and p.is_relative_to(REPO_ROOT):
        return str(p.relative_to(REPO_ROOT))
    return str(p)


def resolve_saved_path(path: str | Path) -> Path:
    """A path read from a saved config: as given if it exists, else relative to the repository root."""
    p = Path(path)
    return p if p.is_absolute() or p.exists() else REPO_ROOT / p


def to_jsonable(obj):
    """Dataclass configs (nested, with Paths and tuples) as plain JSON values."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return repo_relative(obj)
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
        meta = saved_metadata(path)
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


def saved_metadata(path: Path) -> dict:
    """A checkpoint's decoded metadata (config, character, counters), without loading its tensors."""
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        return {k: json.loads(v) for k, v in (f.metadata() or {}).items()}


def saved_samples(path: Path) -> int:
    """The training samples recorded in a checkpoint's metadata (0 when none)."""
    return int(saved_metadata(path).get("samples", 0))


def save_run(out: Path, tensors: dict[str, torch.Tensor], state: dict, config, character: Character, extra: dict) -> None:
    """Write weights, training state and resolved config into the run folder."""
    out.mkdir(parents=True, exist_ok=True)
    save_weights(out / WEIGHTS, tensors, config, character, extra)
    save_state(out, state)
    _atomic(out / CONFIG, lambda p: p.write_text(json.dumps(to_jsonable(config), indent=2)))


def _split(tree, prefix: str, tensors: dict):
    """Tensors of a nested dict/list into tensors (flat 'a.b.0' keys); returns the rest."""
    if isinstance(tree, torch.Tensor):
        tensors[prefix] = tree.detach().clone().contiguous().cpu()
        return {"__tensor__": prefix}
    if isinstance(tree, dict):
        return {str(k): _split(v, f"{prefix}.{k}" if prefix else str(k), tensors) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_split(v, f"{prefix}.{i}", tensors) for i, v in enumerate(tree)]
    return tree


def _join(tree, tensors: dict):
    if isinstance(tree, dict):
        if set(tree) == {"__tensor__"}:
            return tensors[tree["__tensor__"]]
        # optimizer states are keyed by parameter index: JSON made them strings
        return {int(k) if k.isdigit() else k: _join(v, tensors) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_join(v, tensors) for v in tree]
    return tree


def save_state(out: Path, state: dict) -> None:
    """Write a training state (nested dicts of tensors and JSON values) to STATE and STATE_JSON."""
    tensors: dict[str, torch.Tensor] = {}
    plain = _split(state, "", tensors)
    _atomic(out / STATE, lambda p: save_file(tensors, str(p)))
    _atomic(out / STATE_JSON, lambda p: p.write_text(json.dumps(plain)))


def load_state(out: Path) -> dict:
    """Read what save_state wrote."""
    try:
        return _join(json.loads((out / STATE_JSON).read_text()), load_file(str(out / STATE)))
    except (OSError, SafetensorError, json.JSONDecodeError, KeyError) as err:
        raise CheckpointError(f"{out}: unreadable training state {STATE}/{STATE_JSON} ({err}); restart without --resume") from err


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


def average_weights(paths: list[Path], character: Character) -> tuple[dict[str, torch.Tensor], dict]:
    """The mean of several checkpoints of one run (offline Polyak averaging): float tensors
    averaged, integer ones (normaliser counts) and the decoded metadata from the last file, with
    "averaged_from" added. Each file is read by load_weights (so a missing, corrupt or other
    character's file is refused by name); files with other tensor names or shapes are refused."""
    if len(paths) < 2:
        raise CheckpointError("give two or more checkpoints to average")
    loaded = [load_weights(p, character) for p in paths]
    first = loaded[0][0]
    for path, (tensors, _meta) in zip(paths[1:], loaded[1:], strict=True):
        if set(tensors) != set(first):
            raise CheckpointError(f"{path}: its tensors differ from {paths[0]}'s; average checkpoints of one run only")
        for k, t in tensors.items():
            if t.shape != first[k].shape:
                raise CheckpointError(f"{path}: {k} has shape {tuple(t.shape)}, {paths[0]} {tuple(first[k].shape)}")
    last_tensors, last_meta = loaded[-1]
    mean = {
        k: torch.stack([t[k].double() for t, _ in loaded]).mean(0).float() if v.is_floating_point() else last_tensors[k]
        for k, v in first.items()
    }
    return mean, {**last_meta, "averaged_from": [repo_relative(Path(p)) for p in paths]}
