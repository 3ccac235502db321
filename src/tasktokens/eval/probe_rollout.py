"""Rollouts of the zero-shot probes (eval/probes.py): episodes started from standing, walking or
running reference states, a BFM driven by a goal schedule alone (no task token), and the
trajectory of every episode recorded for the probes' pass rules.

Starts (every one moved to the origin, turned to face world +x and lifted 2 cm, as the tasks'
reference-state starts, tasks/base.py TaskEnv.start_from):
- "stand": the last 0.14 s of the MIT long walk long_walk3 or its mirror (the walk slows down and
  stops there; both feet on the ground; scripts/hold_clips.sh holds a frame of the same stop),
  at rest (velocities zeroed);
- "walk": the MIT walk clip at a random phase, with its velocities;
- "run": the MIT run clip at a random phase, with its velocities.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from tasktokens import rotations as rot
from tasktokens.envs.humanoid_env import HumanoidEnv
from tasktokens.models.bfm import BFM, Goals
from tasktokens.motion.motion_lib import MotionLib, data_root

Tensor = torch.Tensor
START_CLIPS = {"stand": ("long/humanoid3d_long_walk3", "long/humanoid3d_long_walk3_mirror"), "walk": ("clips/humanoid3d_walk",),
               "run": ("clips/humanoid3d_run",)}
"""Clips (under motions/deepmimic of the data folder) of each kind of start."""
STAND_SECONDS = 0.14
"""Standing starts are drawn from this last stretch of the long_walk3 clips (17.60-17.74 s)."""


@dataclass
class ProbeState:
    """What a goal schedule sees at one control step, N episodes (world frame unless said)."""

    proprio: Tensor
    """(N, P) proprioception (what the BFM sees)."""
    root_pos: Tensor
    """(N, 3) root (pelvis) position."""
    yaw: Tensor
    """(N,) root heading (rad); 0 = world +x, the facing of every start."""
    start_velocity: Tensor
    """(N, 2) planar root velocity of the start state."""
    start_hand: Tensor
    """(N, 3) right hand position of the start state."""
    target: Tensor
    """(N, 3) the episode's reach target (reach_right; drawn for every probe, used by that one)."""


Schedule = Callable[[float, ProbeState], Goals]
"""A goal schedule: (seconds since the start, state) -> the BFM's goals."""


@dataclass
class Trajectory:
    """T + 1 samples of N episodes: the start state, then the state after each control step."""

    dt: float
    """Seconds between samples."""
    root_pos: Tensor
    """(T + 1, N, 3) root position, world."""
    yaw: Tensor
    """(T + 1, N) root heading (rad)."""
    hand_pos: Tensor
    """(T + 1, N, 3) right hand position, world."""
    foot_pos: Tensor
    """(T + 1, N, 2, 3) right and left foot positions, world."""
    foot_contact: Tensor
    """(T + 1, N, 2) bool: the foot touches the floor."""
    fallen: Tensor
    """(T + 1, N) bool: a body other than the feet touches the floor (or the simulation failed)."""
    target: Tensor
    """(N, 3) reach target, world."""

    @property
    def steps(self) -> int:
        return self.root_pos.shape[0] - 1

    def index(self, seconds: float) -> int:
        """The sample at `seconds` after the start (the last one if the trajectory is shorter)."""
        return min(round(seconds / self.dt), self.steps)

    def upright(self) -> Tensor:
        """(N,) bool: no fall in the whole trajectory."""
        return ~self.fallen.any(dim=0)


def start_lib(character) -> MotionLib:
    """The clips of every kind of start, in START_CLIPS order."""
    base = data_root() / "motions" / "deepmimic"
    return MotionLib.from_paths([base / f"{name}.txt" for names in START_CLIPS.values() for name in names], character)


def start_kinds(starts: tuple[str, ...], n: int) -> list[str]:
    """The kind of start of each of n episodes: equal shares of `starts`, in order."""
    return [starts[i * len(starts) // n] for i in range(n)]


def start_states(lib: MotionLib, kinds: list[str], gen: torch.Generator) -> tuple[Tensor, Tensor]:
    """qpos (N, nq), qvel (N, nv) float64 of one start per kind, at the origin facing +x, 2 cm up."""
    clip_ids, times, still = [], [], []
    for kind in kinds:
        names = [n.split("/")[-1] for n in START_CLIPS[kind]]
        clip = lib.clip_index(names[int(torch.randint(len(names), (1,), generator=gen))])
        u = float(torch.rand(1, generator=gen))
        end = float(lib.duration[clip])
        times.append(end - STAND_SECONDS * u if kind == "stand" else end * u)
        clip_ids.append(clip)
        still.append(kind == "stand")
    st = lib.state(torch.tensor(clip_ids), torch.tensor(times))
    qpos, qvel = st.qpos.double().clone(), st.qvel.double().clone()
    qvel[torch.tensor(still)] = 0.0
    qpos[:, :2] = 0.0
    qpos[:, 2] += 0.02
    turn = rot.quat_from_yaw(-rot.heading_angle(qpos[:, 3:7]))
    qpos[:, 3:7] = rot.quat_mul(turn, qpos[:, 3:7])
    qvel[:, :3] = rot.quat_rotate(turn, qvel[:, :3])  # world linear velocity; the free joint's angular one is local
    return qpos, qvel


def rollout(env: HumanoidEnv, bfm: BFM, schedule: Schedule, qpos: Tensor, qvel: Tensor, reach_offset: Tensor, steps: int) -> Trajectory:
    """Run every environment of env from qpos, qvel for `steps` control steps with the BFM's
    deterministic actions under the schedule's goals; falls do not end an episode (the rules
    judge them). The reach target is the right shoulder (right_upper_arm) of the start state plus
    reach_offset (N, 3) (world; the starts face +x, so x is ahead and -y to the right)."""
    n = env.num_envs
    env.reset_envs(torch.arange(n), qpos, qvel)
    char, sim = env.character, env.sim
    hand, feet = char.body_index("right_hand"), torch.tensor(char.body_indices(("right_foot", "left_foot")))
    target = sim.body_pos[:, char.body_index("right_upper_arm")].float() + reach_offset
    rec: dict[str, list[Tensor]] = {k: [] for k in ("root_pos", "yaw", "hand_pos", "foot_pos", "foot_contact", "fallen")}

    def record(fallen: Tensor) -> None:
        pos = sim.body_pos.float()
        rec["root_pos"].append(pos[:, 0].clone())
        rec["yaw"].append(rot.heading_angle(sim.body_quat[:, 0].float()))
        rec["hand_pos"].append(pos[:, hand].clone())
        rec["foot_pos"].append(pos[:, feet].clone())
        rec["foot_contact"].append(sim.ground_contacts()[:, feet].clone())
        rec["fallen"].append(fallen.clone())

    record(torch.zeros(n, dtype=torch.bool))
    start_velocity = sim.body_velocities()[0][:, 0, :2].float().clone()
    start_hand = rec["hand_pos"][0]
    proprio = env.proprioception()
    with torch.inference_mode():
        for k in range(steps):
            state = ProbeState(proprio, rec["root_pos"][-1], rec["yaw"][-1], start_velocity, start_hand, target)
            proprio, fallen, _failed = env.step(bfm.act(proprio, schedule(k * env.sim.control_dt, state)))
            record(fallen)
    return Trajectory(env.sim.control_dt, *(torch.stack(rec[k]) for k in ("root_pos", "yaw", "hand_pos", "foot_pos", "foot_contact", "fallen")),
                      target=target)
