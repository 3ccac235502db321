"""Hand-written goals (priors) for hybrid control, through the BFM's own goal inputs.

A prior maps (proprioception (N, P), raw task observation (N, T), or the task's prior_obs() when it
has one) to Goals; it sees only what the policy sees. Goal layout: envs/goals.py (the root
pseudo-body is the last entity; translation = (planar velocity _h, root height), rotation = (cos,
sin) of the heading change). An entity's goal appears in every near frame or in none (the BFM was
distilled so; checked when the policy runs); helpers for partial goals, for reading body positions
from the proprioception and for frames that keep that rule: tasks/goal_helpers.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from tasktokens.envs.goals import GOAL_FEATURES, TRANS
from tasktokens.models.bfm import Goals

if TYPE_CHECKING:
    from tasktokens.tasks.clip_prior import ClipGait

Tensor = torch.Tensor
PELVIS_HEIGHT = 0.85
"""Pelvis height of the character walking upright (m), from the MIT walk clips."""


def place(row: Tensor, num_frames: int, num_entities: int, frame: int, entity: int) -> Tensor:
    """Goal frames (N, F, E, GOAL_FEATURES + 2) that are zero (masked) except one entity row
    (N, GOAL_FEATURES + 2) in one frame. Built without in-place writes so it exports to ONNX."""
    n, width = row.shape
    ent = [row.new_zeros(n, entity, width), row[:, None, :], row.new_zeros(n, num_entities - entity - 1, width)]
    filled = torch.cat(ent, dim=1)
    empty = row.new_zeros(n, num_entities, width)
    return torch.stack([filled if f == frame % num_frames else empty for f in range(num_frames)], dim=1)


FAR_SECONDS = 1.0
"""How far ahead the far goal frame of a root prior is (distillation: 10-90 steps)."""
TURN_RATE = 2.0
"""Heading change per second a root prior asks for (rad/s): a goal heading is clamped to what a
walk turns in each frame's time, as the reference headings of the clips did."""


def goal_times(near_steps: tuple[int, ...], dt: float) -> Tensor:
    """(F,) seconds ahead of each goal frame: the BFM's near steps (BFMConfig.near_steps) times
    dt, then FAR_SECONDS. Distillation shows a mask in every near frame at once, so root priors
    fill all of them: a root goal in the first frame only never occurred in training (the v0 BFM
    fell in 73% of 200-step episodes under it at 1 m/s, 31% with all near frames filled;
    docs/bfm-and-task-tokens.md)."""
    return torch.tensor([k * dt for k in near_steps] + [FAR_SECONDS])


def turn_limited(angle: Tensor, times: Tensor) -> Tensor:
    """Heading change (N,) rad clamped to +-TURN_RATE * t for each frame time t (F,): (N, F)."""
    limit = TURN_RATE * times[None, :]
    return torch.minimum(torch.maximum(angle[:, None], -limit), limit)


def walk_toward(direction_h: Tensor, speed: Tensor, times: Tensor) -> tuple[Tensor, Tensor]:
    """Heading change (N, F) rad toward the planar direction direction_h (N, 2) _h, turning at
    TURN_RATE in each frame's time (F,), and the velocity (N, F, 2) _h of speed (N,) m/s along
    it: the root goal of a prior that walks somewhere (direction, strike)."""
    heading = turn_limited(torch.atan2(direction_h[:, 1], direction_h[:, 0]), times)
    return heading, speed[:, None, None] * torch.stack([torch.cos(heading), torch.sin(heading)], dim=-1)


def root_frames(velocity_h: Tensor, heading: Tensor, num_entities: int, pelvis_height: float | Tensor = PELVIS_HEIGHT) -> Tensor:
    """Goal frames (N, F, E, GOAL_FEATURES + 2) showing only the root pseudo-body, both channels:
    planar velocity (N, F, 2) _h and pelvis height (translation; m, a number or (N,), default
    upright), heading change (N, F) rad relative to the current heading (rotation). Built without
    in-place writes (ONNX export)."""
    n, f = heading.shape
    if isinstance(pelvis_height, Tensor):
        height = pelvis_height.to(heading)[:, None, None].expand(n, f, 1)
    else:
        height = heading.new_full((n, f, 1), pelvis_height)
    row = torch.cat(
        [
            velocity_h,
            height,
            torch.cos(heading)[..., None],
            torch.sin(heading)[..., None],
            heading.new_zeros(n, f, GOAL_FEATURES - TRANS - 2),
            heading.new_ones(n, f, 2),
        ],
        dim=-1,
    )
    return torch.cat([row.new_zeros(n, f, num_entities - 1, row.shape[-1]), row[:, :, None, :]], dim=2)


GAIT_SKILLS = (("walk", 0.0), ("jog", 1.9))
"""Skill token a root prior shows for a commanded speed: the last (label, lowest speed m/s) whose
speed it reaches. 1.9 m/s lies between the MIT walk (0.98 m/s) and jog (2.80 m/s) clips. No run:
on BFM v4 the run token made the prior fall more at 3.0-3.5 m/s (upright 0.25 against 0.50 at
3.0 m/s). Measured (prior only, BFM v4, `tasktokens eval task --task direction --method
prior_only --episodes 64`): success 0.143 without a skill token, 0.217 with these
(docs/bfm-and-task-tokens.md)."""


def gait_skill(speed: Tensor, skill_names: tuple[str, ...]) -> Tensor | None:
    """(N,) skill ids of GAIT_SKILLS for commanded speeds (N,) m/s; None (no skill token) unless
    the BFM has every GAIT_SKILLS label, so that the token is shown always or never (an exported
    policy needs a fixed token pattern, eval/export.py)."""
    if not all(label in skill_names for label, _ in GAIT_SKILLS):
        return None
    skill = torch.full(speed.shape, skill_names.index(GAIT_SKILLS[0][0]), dtype=torch.long, device=speed.device)
    for label, lowest in GAIT_SKILLS[1:]:
        skill = torch.where(speed >= lowest, torch.full_like(skill, skill_names.index(label)), skill)
    return skill


def direction_prior(
    near_steps: tuple[int, ...],
    num_entities: int,
    dt: float,
    skill_names: tuple[str, ...] = (),
    clip_gait: ClipGait | None = None,
):
    """direction: in every goal frame, the commanded speed along a heading that turns toward the
    commanded direction at TURN_RATE; pelvis upright; the gait's skill token (GAIT_SKILLS) when
    skill_names (BFMConfig.skill_names) is given. With clip_gait (tasks/clip_prior.py), commands
    of GAIT_MIN_SPEED and more get the jog clip's full-body goals instead of the root goals."""
    times_cpu = goal_times(near_steps, dt)

    def prior(proprio: Tensor, task: Tensor) -> Goals:
        d, speed, times = task[:, :2], task[:, 2], times_cpu.to(task.device)
        heading, velocity = walk_toward(d, speed, times)
        frames = root_frames(velocity, heading, num_entities)
        if clip_gait is not None:
            frames = clip_gait.over_fast(frames, proprio, d, speed)
        return Goals(frames, times.expand(task.shape[0], -1), gait_skill(speed, skill_names))

    return prior


def steering_prior(
    near_steps: tuple[int, ...],
    num_entities: int,
    dt: float,
    skill_names: tuple[str, ...] = (),
    clip_gait: ClipGait | None = None,
):
    """steering: the commanded velocity in every goal frame with the heading along it (turning at
    TURN_RATE), and the gait's skill token as in direction_prior; the facing command is left to
    the task token. Why not a heading toward the facing: the MIT clips have no side or backward
    steps, and the BFM fell under it (BFM v4, prior only, 64 episodes: 71 steps on average before
    a fall, success 0.000; heading up to 30 degrees off the velocity: 73 steps, 0.000; along the
    velocity: 187 steps, 0.069; docs/bfm-and-task-tokens.md). clip_gait: as in direction_prior."""
    times_cpu = goal_times(near_steps, dt)

    def prior(proprio: Tensor, task: Tensor) -> Goals:
        d, speed, times = task[:, :2], task[:, 2:3], times_cpu.to(task.device)
        heading = turn_limited(torch.atan2(d[:, 1], d[:, 0]), times)
        velocity = (d * speed)[:, None, :].expand(-1, times.numel(), -1)
        frames = root_frames(velocity, heading, num_entities)
        if clip_gait is not None:
            frames = clip_gait.over_fast(frames, proprio, d, speed[:, 0])
        return Goals(frames, times.expand(task.shape[0], -1), gait_skill(speed[:, 0], skill_names))

    return prior


def reach_prior(near_steps: tuple[int, ...], num_entities: int, dt: float, right_hand_entity: int):
    """reach: the right hand at the target (translation channel) in the far frame, FAR_SECONDS
    ahead; the near frames stay hidden."""
    times_cpu = goal_times(near_steps, dt)
    num_frames = times_cpu.numel()

    def prior(proprio: Tensor, task: Tensor) -> Goals:
        n = task.shape[0]
        bits = torch.cat([task.new_ones(n, 1), task.new_zeros(n, 1)], dim=-1)  # translation only
        row = torch.cat([task[:, :3], task.new_zeros(n, GOAL_FEATURES - TRANS), bits], dim=-1)
        frames = place(row, num_frames, num_entities, num_frames - 1, right_hand_entity)
        return Goals(frames, times_cpu.to(task.device).expand(n, -1))

    return prior


def strike_prior(
    near_steps: tuple[int, ...],
    num_entities: int,
    dt: float,
    skill_names: tuple[str, ...] = (),
    speed: float = 1.0,
    near_radius: float = 1.0,
    near_skill: str = "kick",
):
    """strike: walk toward the box at `speed` (heading turning toward it at TURN_RATE) until it
    is within near_radius, then stop facing it and show the BFM's near_skill token (kick or
    punch: the MIT clips' striking motions); the walk skill token on the way, when skill_names
    holds both labels. task = the strike observation (its first 3 entries: the box position
    relative to the root, heading frame _h)."""
    times_cpu = goal_times(near_steps, dt)
    labels = ("walk", near_skill)
    ids = [skill_names.index(k) for k in labels] if all(k in skill_names for k in labels) else None

    def prior(proprio: Tensor, task: Tensor) -> Goals:
        times = times_cpu.to(task.device)
        box = task[:, :2]
        near = box.norm(dim=-1) <= near_radius
        heading, velocity = walk_toward(box, torch.where(near, 0.0, speed), times)
        skill = None if ids is None else torch.where(near, ids[1], ids[0])
        return Goals(root_frames(velocity, heading, num_entities), times.expand(task.shape[0], -1), skill)

    return prior


def corridor_axis(line_h: Tensor, goal_x_h: Tensor, line_to_goal: float) -> tuple[Tensor, Tensor]:
    """The long_jump corridor's axis (world +x) in the root heading frame, (N, 2) _h, and the
    root's lateral offset from the centre line (N,) m (world y), from what the task observation
    holds: the line's centre (N, 2) _h and the goal's x (N,) _h, line_to_goal m beyond the line on
    the same axis. Their difference gives cos(heading); of the two headings with that cosine the
    one that puts the root nearer the centre line is taken (the root starts on it and the
    corridor is 1 m wide), which is right whenever the line is more than a few metres ahead."""
    c = ((goal_x_h - line_h[:, 0]) / line_to_goal).clamp(-1.0, 1.0)
    s = torch.sqrt((1.0 - c * c).clamp(min=0.0))
    axes = [torch.stack([c, sign * s], dim=-1) for sign in (1.0, -1.0)]
    offsets = [line_h[:, 0] * u[:, 1] - line_h[:, 1] * u[:, 0] for u in axes]  # y = -(line_h . n), n = (-u_y, u_x) = world +y _h
    first = offsets[0].abs() <= offsets[1].abs()
    return torch.where(first[:, None], axes[0], axes[1]), torch.where(first, offsets[0], offsets[1])


def long_jump_prior(
    near_steps: tuple[int, ...],
    num_entities: int,
    dt: float,
    skill_names: tuple[str, ...] = (),
    speed: float = 3.0,
    aim_ahead: float = 2.0,
    hold_distance: float = 2.0,
    line_to_goal: float = 10.0,
    clip_gait: ClipGait | None = None,
):
    """long_jump: run at `speed` along the corridor: the heading turns (at TURN_RATE) toward the
    point of the centre line aim_ahead m ahead of the root (corridor_axis), which steers the
    root back to the centre, until the take-off line is hold_distance m ahead; from there on
    it holds the current heading (near the line the axis cannot be told from its mirror image).
    The gait's skill token as in direction_prior. The jump itself is left to the task token: the
    BFM has no jumping clip. task = the long_jump observation (line centre relative to the root
    (x, y) _h, goal x _h, past-line flag). With clip_gait the run shows a clip gait's full-body
    goals (tasks/clip_prior.py) instead of the root goals."""
    times_cpu = goal_times(near_steps, dt)

    def prior(proprio: Tensor, task: Tensor) -> Goals:
        n, line, times = task.shape[0], task[:, :2], times_cpu.to(task.device)
        axis, y = corridor_axis(line, task[:, 2], line_to_goal)
        aim = aim_ahead * axis - y[:, None] * torch.stack([-axis[:, 1], axis[:, 0]], dim=-1)
        straight = torch.cat([task.new_ones(n, 1), task.new_zeros(n, 1)], dim=-1)
        direction = torch.where(line[:, :1] > hold_distance, aim, straight)
        run = task.new_full((n,), speed)
        heading, velocity = walk_toward(direction, run, times)
        frames = root_frames(velocity, heading, num_entities)
        if clip_gait is not None:
            frames = clip_gait.goal_frames(proprio, direction / direction.norm(dim=-1, keepdim=True).clamp_min(1e-6), run)
        return Goals(frames, times.expand(n, -1), gait_skill(run, skill_names))

    return prior
