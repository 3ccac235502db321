"""Why direction segments fail: each judged segment's outcome, by commanded speed.

Usage: .venv/bin/python benchmarks/direction_failures.py [--token PATH] [--method M] [--envs 1024]
       [--gait TOP_RATE FEEDBACK]
Runs the episodes `tasktokens eval task` runs (task_rollout.run_first_episodes: its environment
config, seed 1, deterministic actions, each environment's first episode of 300 steps with fall
termination) and sorts every segment that eval task judges into: passed; fell (whatever came
before); else the first judged step that broke the rule (|e_rel| > 0.2 on the speed over 0.5 s)
was too slow along the command with the velocity within 30 degrees of it, too slow because the
velocity pointed more than 30 degrees away, or too fast (for a stop command: any drift over 0.1
m/s). The segments, success rate and mean episode steps it prints are `eval task`'s segments,
success_rate and mean_episode_steps with --episodes = --envs and the same --token and --method
(--method defaults to task_tokens_prior, the shipped direction_prior token, without --token and to
eval task's task_tokens with one; without --token it is thus `eval task --method
task_tokens_prior`). Tells which ability a direction policy lacks: staying up, speed, turning or
stopping. Of the segments too slow along the command it also counts those that broke the rule at
the first judged step (still accelerating when the grace period ended) and those that were an
episode's first segment (started from a reference state of a clip). --gait replaces a clip-gait
token's jog gait options (clip_prior.GaitOptions) to probe another gait without training.
"""

from __future__ import annotations

import math

import torch
from task_rollout import gait_of, policy_arguments, run_first_episodes

from tasktokens.tasks.rewards import direction_errors

BINS = ((0.0, 0.01), (1.0, 1.5), (1.5, 2.0), (2.0, 2.5), (2.5, 3.0), (3.0, 3.6))
OUTCOMES = ("passed", "fell", "slow, along", "slow, off direction", "too fast")
OFF_DIRECTION = math.cos(math.radians(30.0))


class SegmentLog:
    """Wraps env.segments: notes the first rule-breaking judged step of each segment and, when a
    segment that env.segments counts closes (before the env samples the next command), its
    commanded speed and outcome."""

    def __init__(self, env):
        self.env, seg = env, env.segments
        n = env.num_envs
        self.cause = torch.full((n,), -1)  # index into OUTCOMES of the first broken step, -1 none yet
        self.broke_at = torch.zeros(n, dtype=torch.long)  # segment step of that first broken step
        self.segment = torch.zeros(n, dtype=torch.long)  # index of the segment in the episode
        self.speeds, self.outcomes, self.at_grace_end, self.opening = [], [], [], []
        update, close = seg.update, seg.close

        def on_update(step_ok):
            update(step_ok)
            broke = (~step_ok) & (seg.steps > seg.grace) & (self.cause < 0)
            self.cause[broke] = self._cause()[broke]
            self.broke_at[broke] = seg.steps[broke]

        def on_close(ids, failed=None):
            fell = torch.zeros(ids.numel(), dtype=torch.bool) if failed is None else failed
            judged = ((seg.steps[ids] > seg.grace) | fell) & seg.counting[ids]  # SegmentSuccess.close's rule
            outcome = torch.where(fell, 1, torch.where(self.cause[ids] < 0, 0, self.cause[ids]))
            self.speeds.append(env.target_speed[ids][judged]), self.outcomes.append(outcome[judged])
            self.at_grace_end.append((self.broke_at[ids] == seg.grace + 1)[judged]), self.opening.append((self.segment[ids] == 0)[judged])
            close(ids, failed)
            self.cause[ids] = -1
            self.segment[ids] += 1

        seg.update, seg.close = on_update, on_close

    def _cause(self) -> torch.Tensor:
        env = self.env
        v = env.root_velocity_window()
        e_rel, s, _t = direction_errors(v, env.target_dir, env.target_speed)
        planar = v[:, :2].norm(dim=-1).clamp_min(1e-6)
        off = s / planar < OFF_DIRECTION
        return torch.where((e_rel < 0) | (env.target_speed == 0), 4, torch.where(off, 3, 2))


def measure(token, method: str, envs: int, clip_gait=None) -> dict:
    logs = []
    life = run_first_episodes("direction", token, method, envs, on_env=lambda env: logs.append(SegmentLog(env)),
                              clip_gait=clip_gait)
    log = logs[0]
    speed, outcome = torch.cat(log.speeds), torch.cat(log.outcomes)
    at_grace_end, opening = torch.cat(log.at_grace_end), torch.cat(log.opening)
    seg = log.env.segments  # eval task's count
    passed = int((outcome == 0).sum())
    if (speed.numel(), passed) != (seg.finished, seg.succeeded):
        raise RuntimeError(f"segment log: {passed} of {speed.numel()} passed; env.segments: {seg.succeeded} of {seg.finished}")
    rows = {}
    for lo, hi in BINS:
        m = (speed >= lo) & (speed < hi)
        rows[f"{lo}-{hi} m/s"] = [int((outcome[m] == k).sum()) for k in range(len(OUTCOMES))]
    slow = outcome == OUTCOMES.index("slow, along")
    return {"rows": rows, "segments": seg.finished, "success_rate": seg.rate, "steps_before_fall": life,
            "slow_along": int(slow.sum()), "slow_at_grace_end": int((slow & at_grace_end).sum()), "slow_in_first_segment": int((slow & opening).sum())}


def main() -> None:
    a = policy_arguments(__doc__.splitlines()[0], "task_tokens_prior")
    out = measure(a.token, a.method, a.envs, gait_of(a))
    print(f"{out['segments']} judged segments, success rate {out['success_rate']:.3f}, "
          f"mean first-episode steps {out['steps_before_fall']:.0f} of 300 (eval task's segments, success_rate, mean_episode_steps)")
    print("| commanded speed | segments | " + " | ".join(OUTCOMES) + " |")
    print("| --- " * (len(OUTCOMES) + 2) + "|")
    for name, counts in out["rows"].items():
        print(f"| {name} | {sum(counts)} | " + " | ".join(str(c) for c in counts) + " |")
    print(f"slow along: {out['slow_along']}, of which {out['slow_at_grace_end']} broke the rule at the first judged step "
          f"and {out['slow_in_first_segment']} were an episode's first segment")


if __name__ == "__main__":
    main()
