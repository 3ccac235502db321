"""The base batched humanoid environment: actions -> PD targets -> physics -> proprioception.

Env contract (rsl_rl-like, all torch, no per-environment Python loops):
- ``reset_envs(ids, qpos, qvel)`` puts environments in given states (reference-state init);
- ``step(actions)`` with actions (N, nu) in [-1, 1] returns proprioception (N, P), the fall
  flags (N,) and the environments that failed numerically (N,) (to be reset by the caller);
- tasks build their observations and rewards on top from the body-state tensors.
"""

from __future__ import annotations

import torch

from tasktokens.character import Character
from tasktokens.envs.observations import compute_proprioception, fall_detected, proprioception_size
from tasktokens.sim.common import SimConfig, make_sim

Tensor = torch.Tensor


class HumanoidEnv:
    """N humanoids on flat ground."""

    def __init__(self, character: Character, sim_cfg: SimConfig, model=None):
        """model: a scene built on the character's MJCF (character/scene.py), or None for the character alone."""
        self.character = character
        self.sim = make_sim(character, sim_cfg, model)
        self.num_envs = sim_cfg.num_envs
        self.num_actions = character.num_dof
        self.num_proprio = proprioception_size(character.num_bodies)
        allowed = torch.zeros(character.num_bodies, dtype=torch.bool)
        allowed[character.body_indices(character.contact_bodies)] = True
        self._contact_allowed = allowed
        self.default_qpos = torch.as_tensor(self.sim.model.qpos0).clone()
        self.default_qpos[2] = 0.9  # pelvis height with straight legs and feet on the ground

    def proprioception(self) -> Tensor:
        """(N, P) float32 proprioception of the current state (see envs.observations)."""
        lin, ang = self.sim.body_velocities()
        f = torch.float32  # float32 halves the cost of the observation maths
        return compute_proprioception(self.sim.body_pos.to(f), self.sim.body_quat.to(f), lin.to(f), ang.to(f))

    def fallen(self) -> Tensor:
        return fall_detected(self.sim.ground_contacts(), self._contact_allowed)

    def reset_envs(self, ids: Tensor, qpos: Tensor | None = None, qvel: Tensor | None = None) -> None:
        """Reset environments ids to the given states, or to the default standing pose."""
        k = ids.numel()
        if qpos is None:
            qpos = self.default_qpos.expand(k, -1)
        if qvel is None:
            qvel = torch.zeros(k, self.sim.model.nv, dtype=torch.float64)
        self.sim.reset(ids, qpos, qvel)

    def step(self, actions: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Apply actions (N, nu) in [-1, 1]; returns (proprioception, fallen, failed)."""
        self.sim.step(self.sim.pd_targets(actions))
        failed = self.sim.failed.clone()
        return self.proprioception(), self.fallen() | failed, failed
