"""Build the MJCF of the DeepMimic ``humanoid3d`` character from its skeleton file.

The DeepMimic file (``humanoid3d_character.txt``) is y-up; MuJoCo is z-up. Every frame is
rotated +90 degrees about x: a vector (x, y, z) becomes (x, -z, y). The character then faces +x,
its right side is -y. Spherical joints become MuJoCo ball joints (exact, no Euler conversion:
docs/character.md says why), revolute knees and elbows become hinges about DeepMimic's local +z,
which is MuJoCo's (0, -1, 0).

Run ``python -m tasktokens.character.humanoid3d CHARACTER.txt OUT.xml`` to regenerate the shipped
asset; a test checks that the shipped file is what this builder makes from the data.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# DeepMimic joint name -> MuJoCo body name (the body a joint moves).
BODY_OF_JOINT = {
    "root": "pelvis",
    "chest": "torso",
    "neck": "head",
    "right_hip": "right_thigh",
    "right_knee": "right_shin",
    "right_ankle": "right_foot",
    "right_shoulder": "right_upper_arm",
    "right_elbow": "right_lower_arm",
    "right_wrist": "right_hand",
    "left_hip": "left_thigh",
    "left_knee": "left_shin",
    "left_ankle": "left_foot",
    "left_shoulder": "left_upper_arm",
    "left_elbow": "left_lower_arm",
    "left_wrist": "left_hand",
}
PHYSICS_DT = 1.0 / 120.0
# DeepMimic PD gains (notes/character.md); kd = kp / 10.
KP = {"chest": 1000, "neck": 100, "hip": 500, "knee": 500, "ankle": 400, "shoulder": 400, "elbow": 300}


def _zup(x: float, y: float, z: float) -> tuple[float, float, float]:
    """A DeepMimic (y-up) vector in MuJoCo's z-up frame."""
    return (x, -z, y)


def _fmt(values) -> str:
    return " ".join(f"{v:.6g}" for v in values)


def _geom_xml(body_def: dict, indent: str) -> str:
    """One collision/visual geom; DeepMimic Param0..2 are full extents (diameters, lengths)."""
    pos = _fmt(_zup(body_def["AttachX"], body_def["AttachY"], body_def["AttachZ"]))
    p0, p1, p2 = body_def["Param0"], body_def["Param1"], body_def["Param2"]
    shape = body_def["Shape"]
    if shape == "sphere":
        kind, size = "sphere", _fmt([p0 / 2])
    elif shape == "capsule":  # DeepMimic capsules lie along local y, which is MuJoCo's z.
        kind, size = "capsule", _fmt([p0 / 2, p1 / 2])
    elif shape == "box":
        kind, size = "box", _fmt([abs(v) / 2 for v in _zup(p0, p1, p2)])
    else:
        raise ValueError(f"unsupported DeepMimic shape {shape!r} in body {body_def['Name']}")
    name = BODY_OF_JOINT[body_def["Name"]]
    return (
        f'{indent}<geom name="{name}" type="{kind}" size="{size}" pos="{pos}" '
        f'mass="{body_def["Mass"]:.6g}"/>\n'
    )


def _joint_xml(joint: dict, indent: str) -> str:
    name, kind = joint["Name"], joint["Type"]
    if kind in ("spherical", "revolute"):
        # The position actuators' stiffness is integrated explicitly (implicitfast treats only
        # velocity terms implicitly); armature >= kp * dt^2 keeps kp * dt^2 / inertia <= 1, stable
        # at 120 Hz even for the light feet and hands under random targets.
        armature = f'armature="{KP[name.split("_")[-1]] * PHYSICS_DT**2:.4g}"'
    if kind == "spherical":
        return f'{indent}<joint name="{name}" type="ball" {armature}/>\n'
    if kind == "revolute":
        lo, hi = joint["LimLow0"], joint["LimHigh0"]
        return f'{indent}<joint name="{name}" type="hinge" axis="0 -1 0" range="{lo:.6g} {hi:.6g}" {armature}/>\n'
    if kind == "none":
        return f'{indent}<freejoint name="{name}"/>\n'
    if kind == "fixed":
        return ""
    raise ValueError(f"unsupported DeepMimic joint type {kind!r} for joint {name}")


def _body_xml(jid: int, joints: list[dict], bodies: dict[int, dict], depth: int) -> str:
    joint = joints[jid]
    indent = "  " * depth
    name = BODY_OF_JOINT[joint["Name"]]
    pos = _fmt(_zup(joint["AttachX"], joint["AttachY"], joint["AttachZ"]))
    if joint["Parent"] == -1:
        pos = "0 0 1"
    xml = f'{indent}<body name="{name}" pos="{pos}">\n'
    xml += _joint_xml(joint, indent + "  ")
    xml += _geom_xml(bodies[jid], indent + "  ")
    for child in joints:
        if child["Parent"] == jid:
            xml += _body_xml(child["ID"], joints, bodies, depth + 1)
    return xml + f"{indent}</body>\n"


def _tree_order(joints: list[dict], jid: int = 0) -> list[dict]:
    """Joints depth-first, the order in which MuJoCo lays out qpos, qvel and bodies."""
    order = [joints[jid]]
    for child in joints:
        if child["Parent"] == jid:
            order += _tree_order(joints, child["ID"])
    return order


def _actuators_xml(joints: list[dict]) -> str:
    """Position (PD) actuators in DoF order: three per ball joint (rotation-vector components),
    one per hinge."""
    xml = ""
    for joint in _tree_order(joints):
        kind = joint["Type"]
        if kind not in ("spherical", "revolute"):
            continue
        name = joint["Name"]
        kp = KP[name.split("_")[-1]]
        frc = joint["TorqueLim"]
        common = f'kp="{kp}" kv="{kp / 10:.6g}" forcerange="{-frc} {frc}" forcelimited="true"'
        if kind == "revolute":
            xml += f'    <position name="{name}" joint="{name}" {common}/>\n'
            continue
        for axis, gear in zip("xyz", ("1 0 0", "0 1 0", "0 0 1"), strict=True):
            xml += f'    <position name="{name}_{axis}" joint="{name}" gear="{gear}" {common}/>\n'
    return xml


def _contact_sensors_xml(joints: list[dict]) -> str:
    """One contact sensor per body against the floor: 1 when the body touches the ground."""
    xml = ""
    for joint in _tree_order(joints):
        body = BODY_OF_JOINT[joint["Name"]]
        xml += (
            f'    <contact name="{body}_floor" body1="{body}" geom2="floor" num="1" '
            f'data="found" reduce="mindist"/>\n'
        )
    return xml


def build_mjcf(character_json: dict) -> str:
    """MJCF text of the character on a ground plane, 120 Hz physics, implicitfast integration."""
    joints = character_json["Skeleton"]["Joints"]
    bodies = {b["ID"]: b for b in character_json["BodyDefs"]}
    for i, joint in enumerate(joints):
        if joint["ID"] != i:
            raise ValueError("joints in the character file must be listed in ID order")
    return (
        '<mujoco model="humanoid3d">\n'
        "  <!-- Generated by tasktokens.character.humanoid3d from DeepMimic's humanoid3d_character.txt."
        " Do not edit by hand. -->\n"
        '  <compiler angle="radian"/>\n'
        '  <option timestep="0.00833333333333" integrator="implicitfast"/>\n'
        '  <size memory="4M"/>\n'
        "  <visual>\n"
        '    <global offwidth="1280" offheight="720"/>\n'
        '    <headlight ambient="0.3 0.3 0.3" diffuse="0.5 0.5 0.5"/>\n'
        '    <quality shadowsize="0"/>\n'
        "  </visual>\n"
        "  <default>\n"
        '    <geom contype="2" conaffinity="1" condim="3" friction="1 0.005 0.0001"'
        ' rgba="0.47 0.55 0.69 1"/>\n'
        '    <joint armature="0" damping="0" stiffness="0"/>\n'
        "  </default>\n"
        "  <asset>\n"
        '    <texture name="sky" type="skybox" builtin="gradient" rgb1="0.55 0.7 0.85" rgb2="0.1 0.15 0.25"'
        ' width="256" height="256"/>\n'
        '    <texture name="grid" type="2d" builtin="checker" rgb1="0.2 0.3 0.4" rgb2="0.3 0.4 0.5"'
        ' width="512" height="512"/>\n'
        '    <material name="grid" texture="grid" texrepeat="1 1" texuniform="true"/>\n'
        "  </asset>\n"
        "  <worldbody>\n"
        '    <light name="sun" pos="0 0 6" dir="0 0 -1" directional="true" castshadow="false"/>\n'
        '    <geom name="floor" type="plane" size="0 0 0.05" material="grid" contype="1"'
        ' conaffinity="2"/>\n'
        + _body_xml(0, joints, bodies, 2)
        + "  </worldbody>\n"
        "  <actuator>\n"
        + _actuators_xml(joints)
        + "  </actuator>\n"
        "  <sensor>\n"
        + _contact_sensors_xml(joints)
        + "  </sensor>\n"
        "</mujoco>\n"
    )


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        raise SystemExit("usage: python -m tasktokens.character.humanoid3d CHARACTER.txt OUT.xml")
    data = json.loads(Path(argv[0]).read_text())
    Path(argv[1]).write_text(build_mjcf(data))


if __name__ == "__main__":
    main(sys.argv[1:])
