"""`tasktokens eval token-reach`: how much of a frozen BFM's repertoire ONE task token reaches.
Per constant command (stand; forward at 1, 2, 3 m/s; side-step left and backward at
1 m/s; turn on the spot at 1 rad/s) a free token vector (no encoder: what a task encoder outputs,
entering where a task token does, `BFM.act(proprio, None, token)`) is fitted through the frozen
BFM and scored on the same starts against "goals" (the command's hand-written goals, constant in
the heading frame: root goals as eval/probes.py writes them, forward commands as the direction
prior, tasks/priors.py, with the gait skill token and from 2 m/s the jog clip's gait) and the
"zero_token" (the zero-initialised encoder's output).

(a) "token", behaviour cloning with DAgger: roll the goal-driven BFM out from standing, walking or
running starts (eval/probe_rollout.py), fit the token by L-BFGS to min ||a(token) - a(goals)||^2
over the states visited (a: the BFM's deterministic action), then add the states the token visits,
labelled with the goals' actions, and fit again. Whether one token CAN express what the goals do.
It starts from the best of the zero token and each goal token's mean embedding.
(b) "cem": the cross-entropy method on a smooth score over short rollouts, from the zero token:
whether a search on the task's own score finds a token (no goals involved).

Score in [0, 1]: the share of (episode, step) pairs from settle_s on at which the episode has not
fallen and the 0.5 s mean planar root velocity in the heading frame is within max(0.3 m/s, 25%)
of the command; for the turn also the 1 s mean yaw rate within max(0.3 rad/s, 25%); for side and
backward steps also the facing within 30 deg of the start's (open loop: neither a constant token
nor the constant goals see the world facing).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from rich.console import Console

from tasktokens.character import get_character
from tasktokens.envs.humanoid_env import HumanoidEnv
from tasktokens.eval.bfm import SHIPPED_BFM
from tasktokens.eval.probe_rollout import ProbeState, Schedule, Trajectory, rollout, start_kinds, start_lib, start_states
from tasktokens.eval.probes import GoalKit, wrap
from tasktokens.eval.report import write_json
from tasktokens.models.bfm import BFM, Goals
from tasktokens.models.loading import load_bfm
from tasktokens.models.task_tokens import freeze
from tasktokens.sim.common import SimConfig
from tasktokens.tasks.priors import direction_prior, root_frames

console = Console(stderr=True)
Tensor = torch.Tensor
SPEED_TOL, YAW_RATE_TOL, REL_TOL, FACING_TOL_DEG = 0.3, 0.3, 0.25, 30.0
VELOCITY_WINDOW_S, YAW_WINDOW_S = 0.5, 1.0


@dataclass(frozen=True)
class Command:
    """A constant command, in the root heading frame."""

    name: str
    velocity: tuple[float, float]
    """Planar root velocity (m/s), heading frame (x ahead, y left)."""
    yaw_rate: float = 0.0
    """Turn rate (rad/s, left positive); judged only when not 0."""
    hold_facing: bool = False
    """Judge the facing too: within FACING_TOL_DEG of the start's (side and backward steps)."""
    starts: tuple[str, ...] = ("stand", "walk")
    """Kinds of start (eval/probe_rollout.py), equal shares of the episodes."""

    @property
    def speed_tol(self) -> float:
        return max(SPEED_TOL, REL_TOL * math.hypot(*self.velocity))

    @property
    def yaw_rate_tol(self) -> float:
        return max(YAW_RATE_TOL, REL_TOL * abs(self.yaw_rate))

    def metric(self, settle_s: float, seconds: float) -> str:
        turn = f", the {YAW_WINDOW_S:g} s mean yaw rate within {self.yaw_rate_tol:.2g} rad/s of {self.yaw_rate:g}" if self.yaw_rate else ""
        facing = f", the facing within {FACING_TOL_DEG:g} deg of the start's" if self.hold_facing else ""
        return (f"share of steps {settle_s:g}-{seconds:g} s upright with the {VELOCITY_WINDOW_S:g} s mean velocity (heading frame) within "
                f"{self.speed_tol:.2g} m/s of {self.velocity}{turn}{facing}")


COMMANDS = (
    Command("stand", (0.0, 0.0)),
    Command("forward_1", (1.0, 0.0)),
    Command("forward_2", (2.0, 0.0), starts=("walk", "run")),
    Command("forward_3", (3.0, 0.0), starts=("walk", "run")),
    Command("side_left_1", (0.0, 1.0), hold_facing=True),
    Command("backward_1", (-1.0, 0.0), hold_facing=True),
    Command("turn_left_1", (0.0, 0.0), yaw_rate=1.0),
)


def command_schedule(kit: GoalKit, cmd: Command, near_steps: tuple[int, ...], dt: float, clip_gait: bool = True) -> Schedule:
    """The command's hand-written goals, constant in the heading frame: forward commands as the
    direction prior (gait skill token; with clip_gait the jog clip's full-body goals from 2 m/s);
    the others root goals as the probes (velocity, heading change yaw_rate * t, no skill)."""
    if cmd.velocity[0] > 0 and cmd.velocity[1] == 0 and cmd.yaw_rate == 0:
        gait = None
        if clip_gait:
            from tasktokens.tasks.clip_prior import ClipGait, GaitOptions

            gait = ClipGait.from_data(kit.character, kit.times, dt, GaitOptions().spec())
        prior = direction_prior(near_steps, kit.entities, dt, kit.skill_names, gait)
        task = torch.tensor([[1.0, 0.0, cmd.velocity[0]]])
        return lambda t, s: prior(s.proprio, task.expand(s.proprio.shape[0], -1))

    def schedule(t: float, s: ProbeState) -> Goals:
        n, f = s.proprio.shape[0], kit.times.numel()
        velocity = torch.tensor(cmd.velocity).expand(n, f, 2)
        heading = (cmd.yaw_rate * kit.times).expand(n, f)
        return kit.goals(root_frames(velocity, heading, kit.entities))
    return schedule


# --- scores: pure functions of a trajectory -----------------------------------------------------
def unwrapped_yaw(traj: Trajectory) -> Tensor:
    """(T + 1, N) heading with the 2 pi jumps removed."""
    return torch.cat([traj.yaw[:1], traj.yaw[:1] + wrap(traj.yaw[1:] - traj.yaw[:-1]).cumsum(0)])


@dataclass
class StepErrors:
    """What is judged, per judged step (K, N): from settle_s to the end of the trajectory."""

    velocity_h: Tensor
    """(K, N, 2) VELOCITY_WINDOW_S mean planar root velocity, heading frame (m/s)."""
    yaw_rate: Tensor
    """(K, N) YAW_WINDOW_S mean yaw rate (rad/s)."""
    facing_error: Tensor
    """(K, N) facing error from the start's (deg)."""
    alive: Tensor
    """(K, N) bool: no fall so far."""

    def ratios(self, cmd: Command) -> dict[str, Tensor]:
        """(K, N) error / tolerance of each judged part of the command (< 1 passes)."""
        out = {"velocity": (self.velocity_h - torch.tensor(cmd.velocity)).norm(dim=-1) / cmd.speed_tol}
        if cmd.yaw_rate:
            out["yaw_rate"] = (self.yaw_rate - cmd.yaw_rate).abs() / cmd.yaw_rate_tol
        if cmd.hold_facing:
            out["facing"] = self.facing_error / FACING_TOL_DEG
        return out


def step_errors(traj: Trajectory, settle_s: float) -> StepErrors:
    """The judged quantities from settle_s (>= YAW_WINDOW_S) on."""
    w, wy = round(VELOCITY_WINDOW_S / traj.dt), round(YAW_WINDOW_S / traj.dt)
    k0 = traj.index(settle_s)
    if k0 < max(w, wy):
        raise ValueError(f"settle_s {settle_s} must be at least {YAW_WINDOW_S} s (the yaw rate window)")
    ks, yaw, pos = torch.arange(k0, traj.steps + 1), unwrapped_yaw(traj), traj.root_pos[..., :2]
    v = (pos[ks] - pos[ks - w]) / (w * traj.dt)
    c, s = torch.cos(yaw[ks - w // 2]), torch.sin(yaw[ks - w // 2])  # the heading mid-window
    v_h = torch.stack([c * v[..., 0] + s * v[..., 1], -s * v[..., 0] + c * v[..., 1]], dim=-1)
    return StepErrors(v_h, (yaw[ks] - yaw[ks - wy]) / (wy * traj.dt), torch.rad2deg(wrap(traj.yaw[ks] - traj.yaw[:1]).abs()),
                      traj.fallen.cumsum(0)[ks] == 0)


def command_score(traj: Trajectory, cmd: Command, settle_s: float) -> Tensor:
    """(N,) share of judged steps within every tolerance of the command while upright."""
    e = step_errors(traj, settle_s)
    return (e.alive & (torch.stack(list(e.ratios(cmd).values())).amax(0) < 1)).float().mean(0)


def smooth_score(traj: Trajectory, cmd: Command, settle_s: float) -> Tensor:
    """(N,) command_score made smooth for the search: mean over judged steps of alive *
    exp(-sum over the judged parts of (error / tolerance)^2)."""
    e = step_errors(traj, settle_s)
    return (e.alive * torch.exp(-sum(r**2 for r in e.ratios(cmd).values()))).mean(0)


def motion_summary(traj: Trajectory, cmd: Command, settle_s: float) -> dict:
    """What a policy does: the share of episodes upright to the end; over the judged steps before
    a fall, medians of the velocity (heading frame) and yaw rate, and the share passing each part."""
    e = step_errors(traj, settle_s)
    a = e.alive

    def mean_or_median(x: Tensor, median: bool = True) -> float | None:
        return None if not a.any() else (x[a].median() if median else x[a].float().mean()).item()
    return {"upright": traj.upright().float().mean().item(), "velocity_ahead": mean_or_median(e.velocity_h[..., 0]),
            "velocity_left": mean_or_median(e.velocity_h[..., 1]), "yaw_rate": mean_or_median(e.yaw_rate)} | {
            f"{k}_ok": mean_or_median(r < 1, median=False) for k, r in e.ratios(cmd).items()}


# --- policies and data --------------------------------------------------------------------------
class TokenDriver:
    """Duck-typed BFM for probe_rollout.rollout: acts with fixed task tokens (1 or N, 1, d) and
    no goals, ignoring the schedule's goals (which a Recorder may still log)."""

    def __init__(self, bfm: BFM, tokens: Tensor):
        self.bfm, self.tokens = bfm, tokens

    def act(self, proprio: Tensor, goals: Goals | None = None) -> Tensor:
        return self.bfm.act(proprio, None, self.tokens.expand(proprio.shape[0], -1, -1))


class Recorder:
    """A schedule that logs the proprioception it is shown and the goals it gives."""

    def __init__(self, schedule: Schedule):
        self.schedule, self.proprio, self.goals = schedule, [], []

    def __call__(self, t: float, s: ProbeState) -> Goals:
        g = self.schedule(t, s)
        self.proprio.append(s.proprio.clone())
        self.goals.append(g)
        return g

    def dataset(self, traj: Trajectory) -> tuple[Tensor, Goals]:
        """The states visited before any fall (M, P) and their goals."""
        alive = (traj.fallen.cumsum(0)[:-1] == 0).reshape(-1)
        return torch.cat(self.proprio)[alive].clone(), goals_at(cat_goals(self.goals), alive)


def goals_at(goals: Goals, idx) -> Goals:
    """The goals of some of the states (a slice or an index tensor)."""
    return Goals(goals.frames[idx], goals.times[idx], None if goals.skill is None else goals.skill[idx])


def cat_goals(goals: list[Goals]) -> Goals:
    return Goals(*(torch.cat([getattr(g, k) for g in goals]) for k in ("frames", "times")),
                 None if goals[0].skill is None else torch.cat([g.skill for g in goals]))


def chunked_act(bfm: BFM, proprio: Tensor, goals: Goals | None = None, token: Tensor | None = None, chunk: int = 4096) -> Tensor:
    """Deterministic actions of many states under goals or a token (d,), without gradients."""
    with torch.no_grad():
        return torch.cat([bfm.act(proprio[i : i + chunk], None if goals is None else goals_at(goals, slice(i, i + chunk)),
                                  None if token is None else token.expand(proprio[i : i + chunk].shape[0], 1, -1))
                          for i in range(0, proprio.shape[0], chunk)])


def bc_loss(bfm: BFM, proprio: Tensor, target: Tensor, token: Tensor) -> float:
    """Mean squared action error of a token (d,) against target actions over all states."""
    return (chunked_act(bfm, proprio, token=token) - target).pow(2).mean().item()


def z_gap(bfm: BFM, proprio: Tensor, goals: Goals, token: Tensor) -> float:
    """RMS over states and latent dimensions of (mu(token) - mu(goals)) / sigma(goals): how far
    the token puts the prior's mean from where the goals put it, in the goals' prior std."""
    with torch.no_grad():
        mu_g, logvar_g = bfm.prior(proprio, goals)
        mu_t, _ = bfm.prior(proprio, None, token.expand(proprio.shape[0], 1, -1))
    return ((mu_t - mu_g) * (-0.5 * logvar_g).exp()).pow(2).mean().sqrt().item()


def goal_token_inits(bfm: BFM, proprio: Tensor, goals: Goals) -> dict[str, Tensor]:
    """The zero token and the mean embedding (over the states) of each visible goal token."""
    with torch.no_grad():
        seq, hidden = bfm.tokens(bfm.proprio_norm(proprio[:2048]), goals_at(goals, slice(0, 2048)), None)
    names = [f"goal_frame_{i}" for i in range(goals.frames.shape[1])] + ["skill"]
    return {"zero": torch.zeros(bfm.cfg.d_model)} | {names[i - 1]: seq[~hidden[:, i], i].mean(0) for i in range(1, seq.shape[1])
                                                       if not hidden[:, i].all()}


def fit_token(bfm: BFM, proprio: Tensor, target: Tensor, token: Tensor, iterations: int, batch: int, gen: torch.Generator) -> Tensor:
    """L-BFGS (strong Wolfe line search) on a free token (d,) to min mean ||a(token) - target||^2
    over a random subset of at most `batch` states, full batch: 128 unknowns and a smooth, exact
    loss, where Adam on minibatches stalled (BFM v4, forward_1, from the zero token: loss 0.0018
    after 300 Adam steps, 0.0002 after 30 L-BFGS iterations)."""
    idx = torch.randperm(proprio.shape[0], generator=gen)[:batch]
    p, t = proprio[idx], target[idx]
    tok = token.clone().requires_grad_(True)
    opt = torch.optim.LBFGS([tok], lr=1.0, max_iter=iterations, history_size=20, line_search_fn="strong_wolfe")

    def closure() -> Tensor:
        opt.zero_grad()
        loss = (bfm.act(p, None, tok.expand(p.shape[0], 1, -1)) - t).pow(2).mean()
        loss.backward()
        return loss
    opt.step(closure)
    return tok.detach()


# --- the evaluation -----------------------------------------------------------------------------
@dataclass
class TokenReachEval:
    """How much of a BFM's repertoire one free task token reaches (issue 48): per constant command,
    a token fitted by behaviour cloning of the hand-written goals (DAgger), scored against those
    goals and the zero token."""

    bfm: Path = SHIPPED_BFM
    """BFM checkpoint (default: the shipped default BFM)."""
    json: Path | None = None
    """Write {"bfm", "commands": {name: {"metric", "token", "goals", "zero_token", ...}}, ...} here."""
    commands: tuple[str, ...] = ()
    """Commands to run (default: all of COMMANDS)."""
    episodes: int = 16
    """Episodes of each DAgger rollout (data for the fit)."""
    eval_episodes: int = 32
    """Episodes of each scored rollout (same starts for the three policies, other seed than the fit)."""
    seconds: float = 4.0
    """Episode length (s)."""
    settle_s: float = 1.0
    """Steps before this are not judged (at least the 1 s yaw rate window)."""
    rounds: int = 3
    """DAgger rounds: fit on the goal-driven states, then (rounds - 1) times add the states the token visits."""
    iterations: int = 30
    """L-BFGS iterations per round (each about 1.1 loss evaluations)."""
    batch: int = 2048
    """States (a random subset of those gathered so far) of each round's full-batch fit."""
    clip_gait: bool = True
    """Forward commands from 2 m/s get the jog clip's full-body goals as the direction prior's
    --prior-clips does (else the root goals)."""
    cem_iterations: int = 8
    """(b) cross-entropy method iterations on smooth_score from the zero token (0: off; each
    runs cem_population * cem_episodes episodes)."""
    cem_population: int = 16
    """Tokens per CEM iteration; the best quarter are the elites."""
    cem_episodes: int = 4
    """Episodes per CEM candidate (the same starts for every candidate of an iteration)."""
    seed: int = 1
    num_threads: int = 1
    """MuJoCo and torch threads."""

    def run(self) -> dict:
        chosen = [c for c in COMMANDS if not self.commands or c.name in self.commands]
        unknown = set(self.commands) - {c.name for c in COMMANDS}
        if unknown or self.episodes < 1 or self.eval_episodes < 1 or self.rounds < 1:
            raise ValueError(f"TokenReachEval: unknown commands {sorted(unknown)} (known: {[c.name for c in COMMANDS]}), "
                             f"or episodes / eval_episodes / rounds below 1")
        start, threads = time.perf_counter(), torch.get_num_threads()
        torch.set_num_threads(self.num_threads)
        try:
            self._character = get_character("humanoid3d")
            bfm = freeze(load_bfm(self.bfm, self._character)[0])
            self._envs: dict[int, HumanoidEnv] = {}
            self._lib = start_lib(self._character)
            dt = self._env(1).sim.control_dt
            kit = GoalKit(bfm.cfg, self._character, dt)
            results = {}
            for cmd in chosen:
                t0 = time.perf_counter()
                results[cmd.name] = self._command(bfm, kit, cmd, dt) | {"seconds": time.perf_counter() - t0}
                r = results[cmd.name]
                console.print(f"{cmd.name}: token {r['token']:.3f}, goals {r['goals']:.3f}, zero token {r['zero_token']:.3f}"
                              + (f", cem {r['cem']:.3f}" if "cem" in r else "") + f" (bc loss {r['bc_loss']['token']:.4f} vs zero "
                              f"{r['bc_loss']['zero_token']:.4f}; {r['seconds']:.0f} s)")
        finally:
            torch.set_num_threads(threads)
        report = {"bfm": str(self.bfm), "commands": results,
                  "optimiser": f"behaviour cloning of the goals' actions by L-BFGS on up to {self.batch} states, DAgger "
                               f"{self.rounds} rounds of {self.iterations} iterations, {self.episodes} episodes a round"
                               + (f"; CEM {self.cem_iterations} x {self.cem_population} x {self.cem_episodes} episodes" if self.cem_iterations else ""),
                  "iterations": self.rounds * self.iterations, "episodes": self.eval_episodes, "seconds_per_episode": self.seconds,
                  "settle_s": self.settle_s, "seed": self.seed, "seconds": time.perf_counter() - start}
        write_json(self.json, report)
        return report

    def _env(self, n: int) -> HumanoidEnv:
        if n not in self._envs:
            self._envs[n] = HumanoidEnv(self._character, SimConfig(num_envs=n, num_threads=self.num_threads))
        return self._envs[n]

    def _rollout(self, policy, schedule: Schedule, starts: tuple[Tensor, Tensor]) -> Trajectory:
        env = self._env(starts[0].shape[0])
        return rollout(env, policy, schedule, *starts, torch.zeros(starts[0].shape[0], 3), round(self.seconds / env.sim.control_dt))

    def _starts(self, cmd: Command, n: int, gen: torch.Generator) -> tuple[Tensor, Tensor]:
        return start_states(self._lib, start_kinds(cmd.starts, n), gen)

    def _dagger(self, bfm: BFM, cmd: Command, schedule: Schedule, gen: torch.Generator) -> dict:
        """(a) Round 0 fits the goal-driven states; each later round adds the states the token
        visits, labelled with the goals' actions, and fits again from the last token."""
        proprio, goals, targets, rounds, token = [], [], [], [], None
        for _ in range(self.rounds):
            rec = Recorder(schedule)
            traj = self._rollout(bfm if token is None else TokenDriver(bfm, token[None, None]), rec, self._starts(cmd, self.episodes, gen))
            p, g = rec.dataset(traj)
            proprio.append(p)
            goals.append(g)
            targets.append(chunked_act(bfm, p, g))
            if token is None:
                inits = goal_token_inits(bfm, p, g)
                init_losses = {k: bc_loss(bfm, p, targets[0], v) for k, v in inits.items()}
                init = min(init_losses, key=init_losses.get)
                token = inits[init]
            token = fit_token(bfm, torch.cat(proprio), torch.cat(targets), token, self.iterations, self.batch, gen)
            rounds.append({"states": p.shape[0], "rollout_score": command_score(traj, cmd, self.settle_s).mean().item(),
                           "bc_loss": bc_loss(bfm, torch.cat(proprio), torch.cat(targets), token)})
        p, t, g = torch.cat(proprio), torch.cat(targets), cat_goals(goals)
        zero = torch.zeros_like(token)
        with torch.no_grad():
            proprio_norm = bfm.proprio_embed(bfm.proprio_norm(p)).norm(dim=-1).mean().item()
        return {"token": token, "inits": inits, "bc_loss": {"token": bc_loss(bfm, p, t, token), "zero_token": bc_loss(bfm, p, t, zero),
                                                            "init": init_losses},
                "z_gap": {"token": z_gap(bfm, p, g, token), "zero_token": z_gap(bfm, p, g, zero)}, "init": init,
                "token_norm": token.norm().item(), "goal_token_norms": {k: v.norm().item() for k, v in inits.items() if k != "zero"},
                "proprio_token_norm": proprio_norm, "rounds": rounds}

    def _command(self, bfm: BFM, kit: GoalKit, cmd: Command, dt: float) -> dict:
        index = COMMANDS.index(cmd)
        gen = torch.Generator().manual_seed(1000 * self.seed + index)
        schedule = command_schedule(kit, cmd, bfm.cfg.near_steps, dt, self.clip_gait)
        fit = self._dagger(bfm, cmd, schedule, gen)
        tokens = {"token": fit.pop("token"), "zero_token": torch.zeros(bfm.cfg.d_model)}
        inits = fit.pop("inits")
        history = []
        if self.cem_iterations > 0:
            tokens["cem"], history = self._cem(bfm, cmd, schedule, inits, gen)
        # scored rollouts: the same starts (another seed than the fit's) for every policy
        starts = self._starts(cmd, self.eval_episodes, torch.Generator().manual_seed(1000 * self.seed + index + 500))
        out, details = {"metric": cmd.metric(self.settle_s, self.seconds)}, {}
        for name, policy in (("token", TokenDriver(bfm, tokens["token"][None, None])), ("goals", bfm),
                             ("zero_token", TokenDriver(bfm, tokens["zero_token"][None, None])),
                             *((("cem", TokenDriver(bfm, tokens["cem"][None, None])),) if "cem" in tokens else ())):
            traj = self._rollout(policy, schedule, starts)
            out[name] = command_score(traj, cmd, self.settle_s).mean().item()
            details[name] = motion_summary(traj, cmd, self.settle_s)
        if history:
            details["cem"] |= {"best_smooth_score_per_iteration": history, "token_norm": tokens["cem"].norm().item()}
        vectors = {k: [round(x, 5) for x in v.tolist()] for k, v in tokens.items() if k != "zero_token"}
        return out | fit | {"details": details, "token_vectors": vectors}

    def _cem(self, bfm: BFM, cmd: Command, schedule: Schedule, inits: dict[str, Tensor], gen: torch.Generator) -> tuple[Tensor, list[float]]:
        """(b) The cross-entropy method on smooth_score: a Gaussian over tokens from mean 0 and
        std = the goal tokens' RMS, elites the best quarter, each candidate on cem_episodes starts."""
        d, pop, eps = bfm.cfg.d_model, self.cem_population, self.cem_episodes
        scale = torch.stack([v for k, v in inits.items() if k != "zero"]).pow(2).mean().sqrt() if len(inits) > 1 else torch.tensor(1.0)
        mean, std = torch.zeros(d), torch.full((d,), float(scale))
        elites, history = max(pop // 4, 1), []
        for _ in range(self.cem_iterations):
            cand = mean + std * torch.randn(pop, d, generator=gen)
            cand[0] = mean
            starts = self._starts(cmd, eps, gen)
            qpos, qvel = (x.repeat(pop, 1) for x in starts)  # candidate-major: rows c * eps + e
            traj = self._rollout(TokenDriver(bfm, cand.repeat_interleave(eps, 0)[:, None]), schedule, (qpos, qvel))
            fit = smooth_score(traj, cmd, self.settle_s).reshape(pop, eps).mean(1)
            best = cand[fit.argsort(descending=True)[:elites]]
            mean, std = best.mean(0), best.std(0, unbiased=False) + 0.05 * float(scale)
            history.append(fit.max().item())
        return mean, history
