"""Base of the Task Tokens tasks: humanoids started from locomotion reference states, absolute
actions (the BFM's), fall termination, time-outs, per-task commands, reward and success.

A task subclasses :class:`TaskEnv` and defines ``num_task_obs`` and the hooks
``init_commands()`` (allocate the command tensors), ``resample_commands(ids)`` (draw commands),
``command_due()`` (which commands change this step), ``task_obs()``, ``task_reward()`` and
``step_ok()``; it registers itself with ``tasks.register_task``. Its config (with an ``env:
TaskEnvConfig`` field) goes to ``TaskEnv.__init__``, which keeps it as ``self.task_cfg`` before
any hook runs, so a task needs no ``__init__`` of its own. Observations are a TensorDict with
"policy" (proprioception), "task" (the task observation in the root heading frame) and, for a
task whose ``prior_obs()`` returns a tensor, "prior" (the prior's input, never the token's).
docs/new-task.md has the whole contract.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import torch
from tensordict import TensorDict

from tasktokens import rotations as rot
from tasktokens.character import get_character
from tasktokens.envs.humanoid_env import HumanoidEnv
from tasktokens.motion.clip import find_clip_files
from tasktokens.motion.labels import is_locomotion
from tasktokens.motion.motion_lib import MotionLib, default_motion_paths
from tasktokens.sim.common import SimConfig
from tasktokens.tasks.config import TaskEnvConfig
from tasktokens.tasks.rewards import SegmentSuccess, VelocityWindow

if TYPE_CHECKING:
    from tasktokens.tasks.clip_prior import ClipGait, GaitOptions, GaitSpec
    from tasktokens.tasks.rewards import SuccessRule

Tensor = torch.Tensor


def default_init_clips() -> list[Path]:
    """Clips whose reference states start task episodes unless init_motions says otherwise: the
    locomotion clips among the default motion data."""
    return [p for p in find_clip_files(default_motion_paths()) if is_locomotion(p.stem)]


class _UnsetTaskConfig:
    """TaskEnv.task_cfg until it is set (a non-data descriptor: the instance's own value, once
    set, wins): a clear error for a hook that reads it too early."""

    def __get__(self, env, owner=None):
        if env is None:
            return self
        raise AttributeError(
            f"{type(env).__name__}.task_cfg is not set: pass the task's config to TaskEnv.__init__ "
            "(super().__init__(cfg, motion_lib)), or set self.task_cfg before calling it; the base draws the first "
            "commands in its constructor (docs/new-task.md)"
        )


class TaskEnv:
    """Common machinery; see the module docstring for what a task adds."""

    task_cfg = _UnsetTaskConfig()
    """The task's own config (its dataclass, with the shared TaskEnvConfig as .env)."""

    num_task_obs: int
    grace_steps: int = 60
    """Steps after a new command before success is judged."""
    success_rule: SuccessRule = "all"
    """SegmentSuccess rule over the steps after the grace period: "all" of them, "ever" (one
    suffices), or a fraction f in (0, 1] (at least f of them; tasks/rewards.py)."""
    reads_speed_window: bool = False
    """The task reads root_velocity_window() (TaskEnvConfig.speed_window_steps): evaluation reports
    then record the window (direction, steering)."""

    def __init__(self, cfg, motion_lib: MotionLib | None = None):
        """cfg: the task's config, whose `env` field is the TaskEnvConfig (kept as self.task_cfg
        before any hook runs), or a TaskEnvConfig itself, for a subclass that sets self.task_cfg
        before calling this. Draws the first commands (init_commands, then every reset)."""
        if not isinstance(cfg, TaskEnvConfig):
            if not isinstance(getattr(cfg, "env", None), TaskEnvConfig):
                raise TypeError(
                    f"{type(self).__name__}: TaskEnv takes the task's config (with an `env: TaskEnvConfig` field) or a "
                    f"TaskEnvConfig, not {type(cfg).__name__}"
                )
            self.task_cfg, cfg = cfg, cfg.env
        self.cfg = cfg
        self.character = get_character(cfg.character)
        self.lib = motion_lib or self._locomotion_lib(cfg)
        self.env = HumanoidEnv(
            self.character,
            SimConfig(num_envs=cfg.num_envs, num_threads=cfg.num_threads, backend=cfg.sim_backend, warp_device=cfg.warp_device),
            self.scene_model(),
        )
        self.nq_character = self.character._model.nq
        self.nv_character = self.character._model.nv
        self.sim = self.env.sim
        self.num_envs, self.num_actions, self.device = cfg.num_envs, self.character.num_dof, "cpu"
        self.dt = self.sim.control_dt
        self._apply_physics_scales(cfg)
        self.max_episode_length = cfg.episode_steps
        self.episode_length_buf = torch.zeros(self.num_envs, dtype=torch.long)
        self.command_age = torch.zeros(self.num_envs, dtype=torch.long)
        self.episode_return = torch.zeros(self.num_envs)
        self.fallen = torch.zeros(self.num_envs, dtype=torch.bool)
        """(N,) bool: this step's failures (a fall, a failed simulation or extra_termination()), set
        in step() before task_reward() and step_ok(), so a reward can read it (e.g. 0 on a fall)."""
        self.gen = torch.Generator().manual_seed(cfg.seed)
        self.segments = SegmentSuccess(self.num_envs, self.grace_steps, self.success_rule)
        self.velocity_window = VelocityWindow(self.num_envs, cfg.speed_window_steps)
        self.right_hand = self.character.body_index("right_hand")
        self.init_commands()
        self.reset_envs(torch.arange(self.num_envs))

    def _apply_physics_scales(self, cfg: TaskEnvConfig) -> None:
        n = self.num_envs
        if cfg.gravity_scale != 1.0:
            self.sim.set_gravity_scale(torch.full((n,), cfg.gravity_scale))
        if cfg.friction_scale != 1.0:
            self.sim.set_friction_scale(torch.full((n,), cfg.friction_scale))
        if cfg.mass_scale != 1.0:
            self.sim.set_mass_scale(torch.full((n,), cfg.mass_scale))

    @staticmethod
    def _locomotion_lib(cfg: TaskEnvConfig) -> MotionLib:
        paths = cfg.init_motions or default_init_clips()
        return MotionLib.from_paths(paths, get_character(cfg.character))

    # --- task hooks ----------------------------------------------------------------------------
    face_x_at_start: bool = False
    """Turn every initial state to face world +x (tasks laid out along x)."""

    def scene_model(self):
        """The simulated scene (None: the character alone)."""
        return None

    def scene_state(self, ids: Tensor) -> tuple[Tensor, Tensor]:
        """qpos and qvel of the scene's extra bodies at a reset of ids (after the character's)."""
        return torch.zeros(ids.numel(), 0, dtype=torch.float64), torch.zeros(ids.numel(), 0, dtype=torch.float64)

    def init_commands(self) -> None:
        """Allocate the command tensors, one row per environment (e.g. self.target = zeros (N, 3)).
        Called once by the constructor, after the simulation exists and before the first reset
        (self.task_cfg is set by then; the commands are drawn by resample_commands)."""
        raise NotImplementedError

    def resample_commands(self, ids: Tensor) -> None:
        """Draw new commands for the environments ids (K,) (from self.gen: reproducible). Called at
        every reset (after the new state is placed) and for the environments command_due() names."""
        raise NotImplementedError

    def command_due(self) -> Tensor:
        """(N,) bool: environments whose command changes this step (e.g. self.command_age >=
        steps); their segment is judged and closed, then resample_commands draws the next. All
        False for a task with one command per episode."""
        raise NotImplementedError

    def task_obs(self) -> Tensor:
        """(N, num_task_obs): the command as the token sees it, in the root heading frame _h."""
        raise NotImplementedError

    def prior_obs(self) -> Tensor | None:
        """The prior's own input (N, K), e.g. the task observation plus information for the prior
        alone (a commanded height): observations["prior"], passed to the prior instead of task_obs()
        and never to the token's encoder. None (the default): the prior sees task_obs()."""
        return None

    def task_reward(self) -> Tensor:
        """(N,) reward of this step; self.fallen (N,) bool already holds this step's failures."""
        raise NotImplementedError

    def step_ok(self) -> Tensor:
        """(N,) bool: this step meets the command (judged by success_rule after grace_steps)."""
        raise NotImplementedError

    def markers(self) -> dict:
        """Task markers of environment 0 for the viewer: {name: (kind, rgba, [x, y, z, dx, dy, dz])}."""
        return {}

    def episode_over(self) -> Tensor:
        """(N,) bool: the task is over without a failure (e.g. a long jump landed)."""
        return torch.zeros(self.num_envs, dtype=torch.bool)

    def extra_termination(self) -> Tensor:
        """(N,) bool: task-specific ends of an episode counted as failures (besides falls). Called
        in step() before task_reward(), from the state after the physics step."""
        return torch.zeros(self.num_envs, dtype=torch.bool)

    def prior_fn(
        self,
        near_steps: tuple[int, ...],
        num_entities: int,
        skill_names: tuple[str, ...] = (),
        clip_gait: GaitOptions | None = None,
    ):
        """Hand-written goals of this task for a BFM whose near goal frames are near_steps control
        steps ahead (BFMConfig.near_steps): a function (proprio, task obs) -> Goals (tasks/priors.py;
        its second input is prior_obs() when the task defines one), or an error if the task has none. skill_names (BFMConfig.skill_names; empty: none) lets the
        prior show the BFM's skill token; clip_gait (None: off) gives fast commands full-body goals
        from the jog clip as its options say (tasks/clip_prior.py; direction, steering), long_jump's
        run-up those of the run clip (its own rate, LongJumpConfig.prior_gait_rate)."""
        raise NotImplementedError(
            f"{type(self).__name__}: this task has no hand-written prior, so --prior and the "
            "methods task_tokens_prior and prior_only do not apply; use --method task_tokens"
        )

    def check_no_clip_gait(self, clip_gait: GaitOptions | None) -> None:
        """For the priors that have no clip gait."""
        if clip_gait is not None:
            raise ValueError(
                f"{type(self).__name__}: its prior has no clip gait; --prior-clips is for direction, steering and long_jump"
            )

    def clip_gait(self, near_steps: tuple[int, ...], spec: GaitSpec) -> ClipGait:
        """A clip's gait for this environment's goal frames (tasks/clip_prior.py)."""
        from tasktokens.tasks.clip_prior import ClipGait
        from tasktokens.tasks.priors import goal_times

        return ClipGait.from_data(self.character, goal_times(near_steps, self.dt), self.dt, spec)

    def jog_gait(self, near_steps: tuple[int, ...], options: GaitOptions | None) -> ClipGait | None:
        """The jog clip's gait as options say, for the direction and steering priors (None: off)."""
        return None if options is None else self.clip_gait(near_steps, options.spec())

    # --- state helpers -----------------------------------------------------------------------
    @property
    def root_pos(self) -> Tensor:
        return self.sim.body_pos[:, 0].float()

    @property
    def root_quat(self) -> Tensor:
        return self.sim.body_quat[:, 0].float()

    def root_velocity(self) -> Tensor:
        return self.sim.body_velocities()[0][:, 0].float()

    def root_velocity_window(self) -> Tensor:
        """(N, 3) world root velocity averaged over the last cfg.speed_window_steps steps."""
        return self.velocity_window.mean()

    def root_facing(self) -> Tensor:
        """(N, 2) planar unit facing (the root's local x axis)."""
        yaw = rot.heading_angle(self.root_quat)
        return torch.stack([torch.cos(yaw), torch.sin(yaw)], dim=-1)

    def to_heading(self, v_w: Tensor) -> Tensor:
        """World vectors (N, 3) in the root heading frame."""
        return rot.quat_rotate(rot.heading_quat_inverse(self.root_quat), v_w)

    # --- episodes ----------------------------------------------------------------------------
    def reset_envs(self, ids: Tensor) -> None:
        """Start from a random locomotion reference state and draw new commands."""
        if ids.numel() == 0:
            return
        clips = self.lib.sample_clips(ids.numel(), generator=self.gen)
        st = self.lib.state(clips, self.lib.sample_times(clips, self.gen))
        self.start_from(ids, st.qpos.double(), st.qvel.double(), lift=0.02)

    def start_from(self, ids: Tensor, qpos: Tensor, qvel: Tensor, lift: float = 0.0) -> None:
        """Start new episodes of ids (K,) from the character states qpos (K, nq_character), qvel
        (K, nv_character) _w: moved to the origin (and turned to face +x when the task lays out
        along x), lifted by `lift` m (reference states: clear of the floor), with the scene's own
        start state and new commands. A translation and a turn about z change neither the
        dynamics on flat ground nor the proprioception (heading frame), so a state carried over
        from another task's environment (eval/switch.py) continues the same motion."""
        if ids.numel() == 0:
            return
        qpos, qvel = qpos.double().clone(), qvel.double().clone()
        qpos[:, :2] = 0.0  # every episode starts at the origin
        qpos[:, 2] += lift
        if self.face_x_at_start:  # turn about z: root rotation and world linear velocity (MuJoCo keeps the free
            # joint's angular velocity in the body frame, which the turn leaves as it is)
            turn = rot.quat_from_yaw(-rot.heading_angle(qpos[:, 3:7]))
            qpos[:, 3:7] = rot.quat_mul(turn, qpos[:, 3:7])
            qvel[:, :3] = rot.quat_rotate(turn, qvel[:, :3])
        scene_q, scene_v = self.scene_state(ids)
        self.env.reset_envs(ids, torch.cat([qpos, scene_q], dim=1), torch.cat([qvel, scene_v], dim=1))
        self.velocity_window.fill(ids, self.root_velocity()[ids])
        self.episode_length_buf[ids] = 0
        self.episode_return[ids] = 0.0
        self.command_age[ids] = 0
        self.resample_commands(ids)

    def character_state(self) -> tuple[Tensor, Tensor]:
        """The character's part of every simulation's state: qpos (N, nq_character), qvel (N,
        nv_character) in MuJoCo's layout (the scene's extra bodies come after it)."""
        return self.sim.qpos[:, : self.nq_character].clone(), self.sim.qvel[:, : self.nv_character].clone()

    def get_observations(self) -> TensorDict:
        """{"policy": proprioception (N, P), "task": task_obs() (N, T)}, and "prior": prior_obs()
        (N, K) when the task has one."""
        obs = {"policy": self.env.proprioception(), "task": self.task_obs()}
        prior = self.prior_obs()
        if prior is not None:
            obs["prior"] = prior
        return TensorDict(obs, batch_size=[self.num_envs])

    def step(self, actions: Tensor) -> tuple[TensorDict, Tensor, Tensor, dict]:
        """Absolute actions (N, nu) in [-1, 1] (the BFM's)."""
        self.sim.step(self.sim.pd_targets(actions))
        self.velocity_window.push(self.root_velocity())
        self.episode_length_buf += 1
        self.command_age += 1
        fallen = self.fallen = self.env.fallen() | self.sim.failed | self.extra_termination()
        reward = self.task_reward()
        self.segments.update(self.step_ok())
        finished = self.episode_over() & ~fallen  # a terminal state that is not a failure (a landing)
        time_out = (self.episode_length_buf >= self.max_episode_length) & ~fallen & ~finished
        done = fallen | time_out | finished
        self.episode_return += reward
        extras = {
            "time_outs": time_out,
            "episode": {
                "done": done.clone(),
                "success": (time_out | finished).clone(),
                "return": self.episode_return.clone(),
                "length": self.episode_length_buf.clone(),
            },
            "fall": fallen,
            "log": {"/segment_success": torch.tensor(self.segments.rate)},
        }
        ended = done.nonzero().squeeze(-1)
        judged, succeeded = self.segments.finished, self.segments.succeeded
        self.segments.close(ended, fallen[ended])
        due = (self.command_due() & ~done).nonzero().squeeze(-1)
        self.segments.close(due)
        extras["segments"] = torch.tensor([self.segments.finished - judged, self.segments.succeeded - succeeded])
        self.command_age[due] = 0
        self.resample_commands(due)
        self.reset_envs(ended)
        return self.get_observations(), reward, done, extras
