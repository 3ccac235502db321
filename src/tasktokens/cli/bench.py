"""`tasktokens bench sim`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console

from tasktokens.character import get_character
from tasktokens.eval.report import write_json
from tasktokens.sim.bench import bench_sim

console = Console(stderr=True)


@dataclass
class BenchSim:
    """Environment steps/s against raw mujoco.batch physics steps/s (same model, threads)."""

    seconds: float = 5.0
    """Seconds of each measurement."""
    json: Path | None = None
    """Write {"env_steps_per_s", "raw_steps_per_s", "ratio", ...} here."""
    num_envs: int = 1024
    """Simulations stepped together."""
    threads: int = 2
    """MuJoCo threads."""
    character: str = "humanoid3d"

    def run(self) -> dict:
        result = asdict(bench_sim(get_character(self.character), self.seconds, self.num_envs, self.threads))
        console.print(
            f"env {result['env_steps_per_s']:,.0f} steps/s, raw physics {result['raw_steps_per_s']:,.0f} steps/s, "
            f"ratio {result['ratio']:.3f}"
        )
        write_json(self.json, result)
        return result
