"""strike: walk to a standing box and knock it over.

Paper definition: a 0.4 x 0.4 x 1.8 m box of about 8.6 kg at distance U[0.5, 10] m (with p=0.5
U[0.5, 1.5] m) in a random direction. Observation (15): box position relative to the root, its
6-D rotation, linear and angular velocity, all in the root heading frame. Reward 0.6 max(0, 1 -
up . up_target) + 0.4 exp(-4 max(0, 1 - s)^2), s = root planar speed toward the box; 1 once the
box is toppled. The episode ends on a fall, or when the box is touched by a body other than the
right hand, right forearm or the feet. Success: the box toppled (tilt > 78 deg) by the end.
The box keeps the paper's size: it is 1.1 times this 1.62 m character's height, as it is for SMPL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch

from tasktokens import rotations as rot
from tasktokens.character.scene import build_scene
from tasktokens.tasks import register_task
from tasktokens.tasks.base import TaskEnv, TaskEnvConfig
from tasktokens.tasks.priors import strike_prior

if TYPE_CHECKING:
    from tasktokens.tasks.clip_prior import GaitOptions

Tensor = torch.Tensor
BOX = "target_box"
HALF_SIZE = (0.2, 0.2, 0.9)
TOPPLE_COS = math.cos(math.radians(78.0))


def box_xml(mass: float) -> str:
    hx, hy, hz = HALF_SIZE
    return (
        f'    <body name="{BOX}" pos="3 0 {hz}">\n'
        f'      <freejoint name="{BOX}"/>\n'
        f'      <geom name="{BOX}" type="box" size="{hx} {hy} {hz}" mass="{mass}" contype="1" conaffinity="3" rgba="0.8 0.4 0.2 1"/>\n'
        "    </body>\n"
    )


def strike_reward(box_up_z: Tensor, root_vel_w: Tensor, to_box_w: Tensor, toppled: Tensor) -> Tensor:
    """0.6 max(0, 1 - up_z) + 0.4 exp(-4 max(0, 1 - s)^2), or 1 when toppled.

    box_up_z (N,): z of the box's up axis (up . world up); root_vel_w (N, 3); to_box_w (N, 2) unit
    planar direction from the root to the box; toppled (N,) bool."""
    s = (root_vel_w[:, :2] * to_box_w).sum(-1)
    r = 0.6 * (1.0 - box_up_z).clamp_min(0.0) + 0.4 * torch.exp(-4.0 * (1.0 - s).clamp_min(0.0).pow(2))
    return torch.where(toppled, torch.ones_like(r), r)


@dataclass
class StrikeConfig:
    """strike task."""

    env: TaskEnvConfig = field(default_factory=TaskEnvConfig)
    box_mass: float = 8.6
    """Box mass (kg)."""
    distance: tuple[float, float] = (0.5, 10.0)
    """Box distance range (m)."""
    near_distance: tuple[float, float] = (0.5, 1.5)
    """Range used with probability near_prob."""
    near_prob: float = 0.5
    allowed_bodies: tuple[str, ...] = ("right_hand", "right_lower_arm", "right_foot", "left_foot")
    """Bodies that may touch the box."""
    prior_speed: float = 1.0
    """Prior: walking speed toward the box (m/s)."""
    prior_near_radius: float = 1.0
    """Prior: distance (m) under which it stops and shows prior_near_skill."""
    prior_near_skill: str = "kick"
    """Prior: the BFM skill token shown near the box."""


@register_task("strike", StrikeConfig)
class StrikeEnv(TaskEnv):
    num_task_obs = 15
    grace_steps = 0
    success_rule = "ever"

    def __init__(self, cfg: StrikeConfig, motion_lib=None):
        self.task_cfg = cfg
        super().__init__(cfg.env, motion_lib)
        self._box_q = self.nq_character  # box free joint: qpos [pos 3, quat 4], qvel [lin 3 world, ang 3 local]
        self._box_v = self.nv_character
        allowed = set(cfg.allowed_bodies)
        self._forbidden_cols = torch.tensor(
            [int(self.sim.model.sensor_adr[self.sim.model.sensor(f"{b}_box").id]) for b in self.character.body_names if b not in allowed]
        )
        self._sensors = self.sim.sensordata

    def scene_model(self):
        sensors = "".join(
            f'    <contact name="{b}_box" body1="{b}" body2="{BOX}" num="1" data="found" reduce="mindist"/>\n' for b in self.character.body_names
        )
        return build_scene(self.character, box_xml(self.task_cfg.box_mass), sensors)

    def scene_state(self, ids: Tensor) -> tuple[Tensor, Tensor]:
        """A standing box at a random distance and direction from the root (at the origin)."""
        k, c = ids.numel(), self.task_cfg
        near = torch.rand(k, generator=self.gen) < c.near_prob
        lo = torch.where(near, torch.tensor(c.near_distance[0]), torch.tensor(c.distance[0]))
        hi = torch.where(near, torch.tensor(c.near_distance[1]), torch.tensor(c.distance[1]))
        d = lo + (hi - lo) * torch.rand(k, generator=self.gen)
        a = (torch.rand(k, generator=self.gen) * 2 - 1) * torch.pi
        q = torch.zeros(k, 7, dtype=torch.float64)
        q[:, 0], q[:, 1], q[:, 2], q[:, 3] = d * torch.cos(a), d * torch.sin(a), HALF_SIZE[2], 1.0
        return q, torch.zeros(k, 6, dtype=torch.float64)

    def init_commands(self) -> None:
        pass

    def resample_commands(self, ids: Tensor) -> None:
        pass

    def command_due(self) -> Tensor:
        return torch.zeros(self.num_envs, dtype=torch.bool)

    # --- box state ---------------------------------------------------------------------------
    def box_pos(self) -> Tensor:
        return self.sim.qpos[:, self._box_q : self._box_q + 3].float()

    def box_quat(self) -> Tensor:
        return self.sim.qpos[:, self._box_q + 3 : self._box_q + 7].float()

    def box_up_z(self) -> Tensor:
        up = rot.quat_rotate(self.box_quat(), torch.tensor([0.0, 0.0, 1.0]).expand(self.num_envs, 3))
        return up[:, 2]

    def toppled(self) -> Tensor:
        return self.box_up_z() < TOPPLE_COS

    def forbidden_contact(self) -> Tensor:
        """(N,) bool: a body other than the allowed ones touches the box."""
        return (self._sensors[:, self._forbidden_cols] > 0).any(dim=-1)

    def task_obs(self) -> Tensor:
        q = self.box_quat()
        heading_inv = rot.heading_quat_inverse(self.root_quat)
        lin = self.sim.qvel[:, self._box_v : self._box_v + 3].float()
        ang_w = rot.quat_rotate(q, self.sim.qvel[:, self._box_v + 3 : self._box_v + 6].float())  # MuJoCo: local -> world
        return torch.cat([
            self.to_heading(self.box_pos() - self.root_pos),
            rot.quat_to_tan_norm(rot.quat_mul(heading_inv, q)),
            self.to_heading(lin),
            self.to_heading(ang_w),
        ], dim=-1)

    def task_reward(self) -> Tensor:
        to_box = self.box_pos()[:, :2] - self.root_pos[:, :2]
        to_box = to_box / to_box.norm(dim=-1, keepdim=True).clamp_min(1e-6)
        return strike_reward(self.box_up_z(), self.root_velocity(), to_box, self.toppled())

    def step_ok(self) -> Tensor:
        return self.toppled()

    def extra_termination(self) -> Tensor:
        return self.forbidden_contact()

    def prior_fn(self, near_steps: tuple[int, ...], num_entities: int, skill_names: tuple[str, ...] = (), clip_gait: GaitOptions | None = None):
        """Hand-written goals: walk to the box, stop near it with a striking skill token
        (tasks/priors.py strike_prior)."""
        self.check_no_clip_gait(clip_gait)
        c = self.task_cfg
        return strike_prior(near_steps, num_entities, self.dt, skill_names, c.prior_speed, c.prior_near_radius, c.prior_near_skill)
