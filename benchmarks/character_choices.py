"""Measurements behind docs/character.md: ball joints vs three hinges, and the ball-target clamp.

Run from the repository root: ``.venv/bin/python benchmarks/character_choices.py [--seconds 3]``.
Prints four tables:
0. MuJoCo unstable-simulation resets with and without the joint armature kp * dt^2;
1. conversion error when a 3-hinge model takes the rotation-vector components of a clip's ball
   joints as its hinge angles (the shortcut), against an exact Euler decomposition;
2. raw ``mujoco.batch`` stepping speed of the ball-joint model and of a 3-hinge variant;
3. MuJoCo unstable-simulation resets under random ball PD targets of +-pi per component, with no
   clamp, the 0.9*pi clamp (SimConfig.max_ball_target = 2.83) and a 2.5 rad clamp, with fallen
   characters left on the floor and with them reset.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import tempfile
import time

import mujoco
import mujoco.batch
import numpy as np
import torch

from tasktokens import rotations as rot
from tasktokens.character import HUMANOID3D
from tasktokens.motion.motion_lib import default_motion_paths, load_clips


def hinge_variant_xml(xml: str) -> str:
    """The same character with every ball joint replaced by hinges about local x, then y, then z
    (intrinsic x-y-z), and one position actuator per hinge with the same gains."""
    xml = re.sub(
        r'<joint name="(\w+)" type="ball" (armature="[^"]+")/>',
        lambda m: "".join(
            f'<joint name="{m[1]}_{a}" type="hinge" axis="{ax}" {m[2]}/>'
            for a, ax in zip("xyz", ("1 0 0", "0 1 0", "0 0 1"), strict=True)
        ),
        xml,
    )
    return re.sub(r'<position name="(\w+)_([xyz])" joint="\w+" gear="[^"]+"', r'<position name="\1_\2" joint="\1_\2"', xml)


def euler_xyz_to_quat(a: torch.Tensor) -> torch.Tensor:
    """Rotation of hinges x, y, z in a chain (intrinsic x-y-z): q = qx(a0) * qy(a1) * qz(a2)."""
    e = torch.eye(3, dtype=a.dtype)
    qs = [rot.quat_from_axis_angle(e[i].expand(a.shape[:-1] + (3,)), a[..., i]) for i in range(3)]
    return rot.quat_mul(rot.quat_mul(qs[0], qs[1]), qs[2])


def quat_to_euler_xyz(q: torch.Tensor) -> torch.Tensor:
    """Exact intrinsic x-y-z angles of q (inverse of euler_xyz_to_quat away from gimbal lock)."""
    m = rot.quat_to_matrix(q)
    b = torch.asin(m[..., 0, 2].clamp(-1, 1))
    a = torch.atan2(-m[..., 1, 2], m[..., 2, 2])
    c = torch.atan2(-m[..., 0, 1], m[..., 0, 0])
    return torch.stack([a, b, c], dim=-1)


def conversion_error() -> None:
    model = HUMANOID3D.model()
    balls = [int(model.jnt_qposadr[j]) for j in range(model.njnt) if model.jnt_type[j] == mujoco.mjtJoint.mjJNT_BALL]
    clips, _ = load_clips(default_motion_paths(), HUMANOID3D)
    q = torch.as_tensor(np.concatenate([c.qpos for c in clips]))
    quats = torch.stack([q[:, a : a + 4] for a in balls], dim=1)  # (T, 8, 4)
    shortcut = euler_xyz_to_quat(rot.quat_to_rotvec(quats))
    exact = euler_xyz_to_quat(quat_to_euler_xyz(quats))
    for name, approx in (("rotation-vector components as hinge angles", shortcut), ("exact x-y-z Euler decomposition", exact)):
        err = torch.rad2deg(rot.quat_angle_between(approx, quats)).flatten()
        print(
            f"{name:45s} max {err.max():7.2f} deg  p99 {err.quantile(0.99):6.2f} deg  mean {err.mean():6.3f} deg  ({len(clips)} MIT clips, {q.shape[0]} frames)"
        )


def stepping_speed(seconds: float, nsim: int, threads: int) -> None:
    ball = HUMANOID3D.model()
    hinge = mujoco.MjModel.from_xml_string(hinge_variant_xml(HUMANOID3D.mjcf.read_text()))
    assert hinge.nu == ball.nu == 28 and hinge.nv == 6 + 28 and hinge.nq == 7 + 28
    rates: dict[str, list[float]] = {"ball joints": [], "3 hinges": []}
    for _ in range(3):  # alternate, so that a change of machine load hits both
        for name, m in (("ball joints", ball), ("3 hinges", hinge)):
            rates[name].append(raw_rate(m, nsim, threads, seconds))
    for name, r in rates.items():
        print(
            f"{name:12s} nq {ball.nq if name == 'ball joints' else hinge.nq}, nv 34: {np.median(r):>10,.0f} physics steps/s (median of {r})"
        )


def raw_rate(m: mujoco.MjModel, nsim: int, threads: int, seconds: float) -> float:
    """As tasktokens.sim.bench: random PD targets within +-1 rad, reset when the pelvis falls."""
    m.opt.timestep = 1 / 120
    m.opt.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    batch = mujoco.batch.Batch(m, nsim, nthread=threads, persistent=True)
    ctrl, qpos = batch.bind("ctrl"), batch.bind("qpos")
    q0 = m.qpos0.copy()
    q0[2] = 0.9
    qpos[:] = q0
    batch.forward()
    rng = np.random.default_rng(0)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        ctrl[:] = rng.uniform(-1, 1, ctrl.shape)
        batch.step(nstep=4)
        fallen = np.nonzero(qpos[:, 2] < 0.5)[0]
        if fallen.size:
            batch.reset(fallen)
            qpos[fallen] = q0
        steps += 4
    return round(steps * nsim / (time.perf_counter() - start))


def _standing_batch(m, nsim: int, threads: int):
    """A persistent batch with every simulation standing (pelvis at 0.9 m); its bound ctrl, qpos
    and time arrays and the standing qpos."""
    batch = mujoco.batch.Batch(m, nsim, nthread=threads, persistent=True)
    ctrl, qpos, t = batch.bind("ctrl"), batch.bind("qpos"), batch.bind("time")
    q0 = m.qpos0.copy()
    q0[2] = 0.9
    qpos[:] = q0
    batch.forward()
    return batch, ctrl, qpos, t, q0


def armature_stability(nsim: int, control_steps: int, threads: int) -> None:
    """Random PD targets within +-1 rad (as the speed test), with the shipped armature and without."""
    for label, keep in (("armature kp*dt^2", True), ("no armature", False)):
        m = HUMANOID3D.model()
        if not keep:
            m.dof_armature[:] = 0
        batch, ctrl, qpos, t, q0 = _standing_batch(m, nsim, threads)
        rng = np.random.default_rng(0)
        unstable = 0
        for _ in range(control_steps):
            ctrl[:] = rng.uniform(-1, 1, ctrl.shape)
            before = t.copy()
            batch.step(nstep=4)
            unstable += int(np.sum(t < before + 2 / 120))
            fallen = np.nonzero(qpos[:, 2] < 0.5)[0]
            if fallen.size:
                batch.reset(fallen)
                qpos[fallen] = q0
        print(f"{label:18s} unstable-simulation resets: {unstable:5d} in {nsim} sims x {control_steps} control steps")


def clamp_instability(nsim: int, control_steps: int, threads: int, reset_falls: bool) -> None:
    """Count MuJoCo's resets of unstable simulations (bad qacc: the clock goes back) under new
    random targets every control step; deterministic (mujoco.batch is bit-identical run to run)."""
    m = HUMANOID3D.model()
    ball_cols = []
    for j in range(m.njnt):
        if m.jnt_type[j] == mujoco.mjtJoint.mjJNT_BALL:
            ball_cols.append([a for a in range(m.nu) if m.actuator_trnid[a, 0] == j])
    ball_cols = np.array(ball_cols)  # (8, 3)
    offset, scale = HUMANOID3D.action_offset_scale
    for label, clamp in (("no clamp", None), ("0.9*pi = 2.83 rad", 2.83), ("2.5 rad", 2.5)):
        batch, ctrl, qpos, t, q0 = _standing_batch(m, nsim, threads)
        rng = np.random.default_rng(0)
        unstable = 0
        for _ in range(control_steps):
            targets = offset + scale * rng.uniform(-1, 1, (nsim, m.nu))  # ball components +-pi
            if clamp is not None:
                rv = targets[:, ball_cols]
                norm = np.linalg.norm(rv, axis=-1, keepdims=True)
                targets[:, ball_cols] = rv * np.minimum(1.0, clamp / np.maximum(norm, 1e-9))
            ctrl[:] = targets
            before = t.copy()
            batch.step(nstep=4)
            unstable += int(np.sum(t < before + 2 / 120))  # MuJoCo reset it: the clock went back
            if reset_falls:
                fallen = np.nonzero(qpos[:, 2] < 0.5)[0]
                if fallen.size:
                    batch.reset(fallen)
                    qpos[fallen] = q0
        print(f"{label:18s} unstable-simulation resets: {unstable:3d} in {nsim} sims x {control_steps} control steps")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per stepping-speed measurement")
    parser.add_argument("--nsim", type=int, default=512)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--control-steps", type=int, default=300)
    args = parser.parse_args()
    os.chdir(tempfile.mkdtemp())  # MuJoCo's warning log goes to the working directory
    mujoco.set_mju_user_warning(lambda msg: None)  # thousands of "unstable" warnings in test 0
    torch.set_num_threads(1)
    print(f"== 0. joint armature, random targets within +-1 rad, {args.nsim} sims x {args.control_steps} control steps")
    armature_stability(args.nsim, args.control_steps, args.threads)
    print("== 1. clip conversion for a 3-hinge model")
    conversion_error()
    print(f"== 2. raw mujoco.batch stepping, {args.nsim} sims, {args.threads} threads, {args.seconds} s x 3 each")
    stepping_speed(args.seconds, args.nsim, args.threads)
    for reset_falls in (False, True):
        how = "fallen characters reset (pelvis < 0.5 m)" if reset_falls else "fallen characters left flailing on the floor"
        print(f"== 3. random ball targets (+-pi per component), {args.nsim} sims x {args.control_steps} control steps, {how}")
        clamp_instability(args.nsim, args.control_steps, args.threads, reset_falls)
    print(f"(pi = {math.pi:.4f}; 0.9*pi = {0.9 * math.pi:.4f})")


if __name__ == "__main__":
    main()
