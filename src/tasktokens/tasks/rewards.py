"""Rewards and success rules of the Task Tokens tasks (paper definitions), as pure tensor
functions. Frames: ``_w`` world (z up), ``_h`` the root's heading frame. Directions are unit
vectors in the ground plane.
"""

from __future__ import annotations

import torch

Tensor = torch.Tensor
STOP_SPEED_FLOOR = 0.5
"""e_rel divides by max(target speed, this) so that a stop command (speed 0) is defined."""


def direction_errors(root_vel_w: Tensor, target_dir_w: Tensor, target_speed: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """(e_rel, s, t) of a move command.

    root_vel_w (N, 3); target_dir_w (N, 2) unit; target_speed (N,) m/s.
    s = root planar speed along the target direction, t = |planar speed across it|,
    e_rel = (v* - s) / max(v*, STOP_SPEED_FLOOR).
    """
    v = root_vel_w[:, :2]
    s = (v * target_dir_w).sum(-1)
    t = (v - s[:, None] * target_dir_w).norm(dim=-1)
    e_rel = (target_speed - s) / target_speed.clamp_min(STOP_SPEED_FLOOR)
    return e_rel, s, t


def direction_reward(root_vel_w: Tensor, target_dir_w: Tensor, target_speed: Tensor) -> Tensor:
    """exp(-(10 e_rel^2 + 0.1 t^2)), and 0 when moving backwards faster than 0.5 m/s (s < -0.5)."""
    e_rel, s, t = direction_errors(root_vel_w, target_dir_w, target_speed)
    r = torch.exp(-(10.0 * e_rel.pow(2) + 0.1 * t.pow(2)))
    return torch.where(s < -0.5, torch.zeros_like(r), r)


def facing_cosine(root_facing_w: Tensor, target_facing_w: Tensor) -> Tensor:
    """cos of the angle between the root's planar facing (N, 2) and the target facing (N, 2)."""
    f = root_facing_w / root_facing_w.norm(dim=-1, keepdim=True).clamp_min(1e-6)
    return (f * target_facing_w).sum(-1)


def steering_reward(
    root_vel_w: Tensor, root_facing_w: Tensor, target_dir_w: Tensor, target_speed: Tensor, target_facing_w: Tensor
) -> Tensor:
    """0.7 r_direction + 0.3 max(0, cos facing error)."""
    r_dir = direction_reward(root_vel_w, target_dir_w, target_speed)
    return 0.7 * r_dir + 0.3 * facing_cosine(root_facing_w, target_facing_w).clamp_min(0.0)


def reach_reward(hand_pos_w: Tensor, target_pos_w: Tensor) -> Tensor:
    """exp(-4 d^2), d = distance (m) from the right hand to the target; (N, 3) each."""
    return torch.exp(-4.0 * (hand_pos_w - target_pos_w).pow(2).sum(-1))


def step_ok_direction(e_rel: Tensor, tolerance: float = 0.2) -> Tensor:
    """A step meets a move command when |e_rel| <= tolerance."""
    return e_rel.abs() <= tolerance


def step_ok_steering(e_rel: Tensor, facing_cos: Tensor, tolerance: float = 0.2, max_facing_deg: float = 45.0) -> Tensor:
    """A step meets a steering command: |e_rel| <= tolerance and facing error <= 45 degrees."""
    return step_ok_direction(e_rel, tolerance) & (facing_cos >= torch.cos(torch.deg2rad(torch.tensor(max_facing_deg))))


def step_ok_reach(hand_pos_w: Tensor, target_pos_w: Tensor, radius: float = 0.2) -> Tensor:
    """A step meets a reach target when the hand is within radius (m)."""
    return (hand_pos_w - target_pos_w).norm(dim=-1) <= radius


class VelocityWindow:
    """Mean root velocity over the last `steps` control steps, per environment: the speed that the
    direction and steering success rules judge.

    Why not the per-step velocity of the paper's rule: a walking pelvis speeds up and slows down
    within every stride. The MIT walk clip itself (0.98 m/s) ranges over 0.81-1.25 m/s along its
    direction, so no constant command passes |e_rel| <= 0.2 at every step (best max |e_rel| 0.21),
    and the shipped BFM under the direction prior at 1.0 m/s had 75% of its steps within 0.2 with
    per-step velocities, 97% with a 15-step (0.5 s, one step of a stride) window
    (docs/bfm-and-task-tokens.md). steps=1 is the paper's per-step rule."""

    def __init__(self, num_envs: int, steps: int):
        if steps < 1:
            raise ValueError(f"speed window of {steps} steps: use 1 (per-step velocity) or more")
        self.history = torch.zeros(steps, num_envs, 3)
        self._next = 0

    def push(self, vel_w: Tensor) -> None:
        """Record one step's velocity (N, 3) of every environment."""
        self.history[self._next] = vel_w
        self._next = (self._next + 1) % self.history.shape[0]

    def fill(self, ids: Tensor, vel_w: Tensor) -> None:
        """Restart the window of environments ids (K,) at velocity vel_w (K, 3) (a reset)."""
        self.history[:, ids] = vel_w

    def mean(self) -> Tensor:
        """(N, 3) mean velocity over the window."""
        return self.history.mean(dim=0)


SuccessRule = str | float
"""How a segment's judged steps (those after its grace period) decide its success: "all" (every
step meets the command), "ever" (one step does), or a fraction f in (0, 1] (at least f of them
do; 1.0 is "all")."""


def success_fraction(rule: SuccessRule) -> float | None:
    """The fraction of a numeric rule, None for "all" and "ever"; a clear error for anything else."""
    if rule in ("all", "ever"):
        return None
    if isinstance(rule, bool) or not isinstance(rule, (int, float)) or not 0.0 < rule <= 1.0:
        raise ValueError(f"unknown success rule {rule!r}; use 'all', 'ever' or a fraction in (0, 1] of the judged steps")
    return float(rule)


class SegmentSuccess:
    """Success over command segments. Rule "all": a segment succeeds when every step after its
    grace period meets the command (direction, steering, reach). Rule "ever": when some step meets
    it (strike: the box toppled; long_jump: a long enough jump). Rule f (a float in (0, 1]): when
    at least a fraction f of the steps after the grace period meet it. A fall fails the running
    segment. Success rate = successful segments / finished segments (paper: 1 - failures over
    segments)."""

    def __init__(self, num_envs: int, grace_steps: int, rule: SuccessRule = "all"):
        self.fraction = success_fraction(rule)
        self.grace, self.rule = grace_steps, rule
        self.steps = torch.zeros(num_envs, dtype=torch.long)
        self.ok = torch.full((num_envs,), rule == "all")
        self.judged_steps = torch.zeros(num_envs, dtype=torch.long)
        """Steps after the grace period in the running segment (rule f)."""
        self.ok_steps = torch.zeros(num_envs, dtype=torch.long)
        """Of those, the steps that met the command (rule f)."""
        self.counting = torch.ones(num_envs, dtype=torch.bool)
        """Environments whose segments are counted (evaluation counts each environment's first episode)."""
        self.finished_env = torch.zeros(num_envs, dtype=torch.long)
        """Judged segments per environment (an out-of-distribution sweep groups them by physics)."""
        self.succeeded_env = torch.zeros(num_envs, dtype=torch.long)

    def update(self, step_ok: Tensor) -> None:
        """Record one step (N,) bool of every environment."""
        self.steps += 1
        if self.fraction is not None:
            judged = self.steps > self.grace
            self.judged_steps += judged.long()
            self.ok_steps += (judged & step_ok).long()
        elif self.rule == "all":
            self.ok &= step_ok | (self.steps <= self.grace)
        else:
            self.ok |= step_ok

    def _passed(self, ids: Tensor) -> Tensor:
        """(len(ids),) bool: the running segments of ids meet the rule (falls aside)."""
        if self.fraction is None:
            return self.ok[ids]
        # a tolerance so that e.g. 3 of 5 steps meets f = 0.6 (0.6 * 5 is 3.0000000000000004)
        return self.ok_steps[ids].double() >= self.fraction * self.judged_steps[ids].double() - 1e-9

    def close(self, ids: Tensor, failed: Tensor | None = None) -> None:
        """End the segments of ids (new command, episode end); failed (len(ids),) bool marks falls.
        Segments that never left their grace period are not counted, unless they ended in a fall."""
        if ids.numel() == 0:
            return
        failed = torch.zeros(ids.numel(), dtype=torch.bool) if failed is None else failed
        judged = ((self.steps[ids] > self.grace) | failed) & self.counting[ids]
        # "ever": what was achieved stays achieved (a box toppled before a fall still counts)
        ok = self._passed(ids) if self.rule == "ever" else self._passed(ids) & ~failed
        self.finished_env.index_add_(0, ids, judged.long())
        self.succeeded_env.index_add_(0, ids, (judged & ok).long())
        self.steps[ids] = 0
        self.ok[ids] = self.rule == "all"
        self.judged_steps[ids] = 0
        self.ok_steps[ids] = 0

    @property
    def finished(self) -> int:
        """Judged segments of all environments."""
        return int(self.finished_env.sum())

    @property
    def succeeded(self) -> int:
        return int(self.succeeded_env.sum())

    @property
    def rate(self) -> float:
        return self.succeeded / self.finished if self.finished else 0.0

    @property
    def judged_episodes(self) -> int:
        """Environments with at least one judged segment (evaluation: each one's first episode)."""
        return int((self.finished_env > 0).sum())

    @property
    def episode_rate(self) -> float:
        """Share of the environments with judged segments whose every judged segment succeeded
        (evaluation counts each environment's first episode only: the share of whole episodes
        that succeeded)."""
        judged = self.finished_env > 0
        n = int(judged.sum())
        return int((judged & (self.succeeded_env == self.finished_env)).sum()) / n if n else 0.0

    def rate_of(self, envs: Tensor) -> float:
        """Success rate over the segments of some environments: envs (N,) bool or indices."""
        finished = int(self.finished_env[envs].sum())
        return int(self.succeeded_env[envs].sum()) / finished if finished else 0.0
