"""Joint maps: which joint of a source skeleton (a BVH file's) stands for each body of the character.

A map is a small TOML file::

    name = "cmu"
    up = "y"              # the file's up axis: y (most BVH) or z; converted to MuJoCo's z-up
    rest = "first_frame"  # the source's calibration pose: "first_frame" (a T-pose frame 0) or "zero" (all rotations 0)

    [bodies]              # character body = source joint, one for each of the character's bodies
    pelvis = "Hips"
    ...

Shipped maps (`importers/skeletons/*.toml`): `cmu` (the CMU database's BVH conversion) and
`humanoid3d` (what `tasktokens motion export --format bvh` writes). Without `--skeleton`, a file
gets the first shipped map whose joints it all has.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from tasktokens.motion.clip import ClipError

SKELETONS = Path(__file__).parent / "skeletons"
"""Folder of the shipped maps."""
UP_AXES = ("y", "z")
REST_POSES = ("first_frame", "zero")


@dataclass(frozen=True)
class SkeletonMap:
    """A parsed joint map (see the module docstring)."""

    name: str
    up: str
    """The source's up axis: "y" or "z"."""
    rest: str
    """The source's calibration pose: "first_frame" or "zero"."""
    bodies: dict[str, str]
    """Character body name -> source joint name."""
    path: Path

    def missing_joints(self, joints: list[str]) -> list[str]:
        """The map's source joints that a file's joint list lacks, in the map's order."""
        have = set(joints)
        return [j for j in self.bodies.values() if j not in have]


def shipped_maps() -> dict[str, Path]:
    """Name -> TOML path of the maps shipped with the package."""
    return {p.stem: p for p in sorted(SKELETONS.glob("*.toml"))}


def load_map(path: Path, body_names: tuple[str, ...]) -> SkeletonMap:
    """Read and check a map: every character body named once, up and rest known."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ClipError(f"{path}: not a readable skeleton map TOML ({err})") from err
    bodies = data.get("bodies")
    if not isinstance(bodies, dict) or not all(isinstance(v, str) for v in bodies.values()):
        raise ClipError(f'{path}: no [bodies] table of body = "source joint" lines')
    missing, unknown = [b for b in body_names if b not in bodies], [b for b in bodies if b not in body_names]
    if missing or unknown:
        raise ClipError(
            f"{path}: the [bodies] table must name a source joint for each body {list(body_names)}; "
            f"missing {missing}, unknown {unknown}"
        )
    up, rest = str(data.get("up", "y")).lower(), str(data.get("rest", "zero"))
    if up not in UP_AXES or rest not in REST_POSES:
        raise ClipError(f"{path}: up = {up!r} (choose {UP_AXES}), rest = {rest!r} (choose {REST_POSES})")
    return SkeletonMap(str(data.get("name", path.stem)), up, rest, {b: bodies[b] for b in body_names}, path)


def resolve_map(skeleton: str | None, joints: list[str], body_names: tuple[str, ...], source: Path) -> SkeletonMap:
    """The map for a file: `skeleton` (a shipped map's name or a TOML path) or, when None, the first
    shipped map whose joints the file all has. Refuses, in one line naming the file and the missing
    joints, a file that lacks joints of the named map or of every shipped map."""
    shipped = shipped_maps()
    if skeleton is not None:
        path = shipped.get(skeleton, Path(skeleton))
        if not path.is_file():
            raise ClipError(f"--skeleton {skeleton!r}: neither a shipped map {sorted(shipped)} nor a TOML file")
        candidates = [load_map(path, body_names)]
    else:
        candidates = [load_map(p, body_names) for p in shipped.values()]
    for candidate in candidates:
        if not candidate.missing_joints(joints):
            return candidate
    best = min(candidates, key=lambda m: len(m.missing_joints(joints)))
    hint = "" if skeleton is not None else f"no shipped map ({', '.join(shipped)}) fits; "
    raise ClipError(
        f"{source}: {hint}the {best.name} map's joints {best.missing_joints(joints)} are not in the file; "
        f"pass --skeleton MAP.toml naming a joint of the file for each body (docs/data.md)"
    )
