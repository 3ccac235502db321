"""`pretrain bfm --ema-decay`: the checkpoint holds the moving average of the live weights, the
training state the live weights, and a resumed run gets both back."""

import pytest
import torch

from tasktokens.character import HUMANOID3D
from tasktokens.train.checkpoint import WEIGHTS, load_state, load_weights
from tasktokens.train.distill import DistillConfig
from tasktokens.train.runner import RunnerConfig
from tests.train.conftest import _distill


def _record_steps(runner) -> list[dict[str, torch.Tensor]]:
    """Snapshots of the live parameters after every optimizer step."""
    snaps, step = [], runner.optimizer.step

    def recorded(*args, **kwargs):
        out = step(*args, **kwargs)
        snaps.append({n: p.detach().clone() for n, p in runner.bfm.named_parameters()})
        return out

    runner.optimizer.step = recorded
    return snaps


def test_checkpoint_holds_the_moving_average_and_the_state_the_live_weights(tmp_path, teacher):
    cfg = _distill(tmp_path, teacher, 32)
    cfg.runner, cfg.ema_decay = RunnerConfig(max_samples=0), 0.25
    runner = cfg.run()
    snaps = _record_steps(runner)
    runner.collect()
    runner.update()  # 2 mini-batches x 1 epoch: two steps
    runner.save()
    assert len(snaps) == 2
    saved, _meta = load_weights(tmp_path / WEIGHTS, HUMANOID3D)
    live = load_state(tmp_path)["extra"]["live_bfm"]
    for name, w2 in snaps[1].items():
        w1 = snaps[0][name]
        # the first update copies the live weights, the second mixes in 1 - decay of the new ones
        assert torch.allclose(saved[f"bfm.{name}"], 0.25 * w1 + 0.75 * w2, atol=1e-7), name
        assert torch.equal(live[name], w2)
    changed = [n for n in snaps[1] if not torch.equal(snaps[0][n], snaps[1][n])]
    assert changed and any(not torch.equal(saved[f"bfm.{n}"], live[n]) for n in changed)
    for name, buf in runner.bfm.named_buffers():  # normaliser statistics: the live ones
        assert torch.equal(saved[f"bfm.{name}"], buf), name


def test_resume_restores_the_live_weights_under_the_average(tmp_path, teacher):
    cfg = _distill(tmp_path, teacher, 32)
    cfg.ema_decay = 0.5
    first = cfg.run()
    live = {k: v.clone() for k, v in first.bfm.state_dict().items()}
    average = {k: v.clone() for k, v in first.ema.module.state_dict().items()}
    assert any(not torch.equal(live[k], average[k]) for k in live)
    cfg.resume = True  # same sample budget: loads, trains nothing, saves
    again = cfg.run()
    assert all(torch.equal(v, live[k]) for k, v in again.bfm.state_dict().items())
    for name, p in again.ema.module.named_parameters():
        assert torch.equal(p, average[name]), name
    assert int(again.ema.n_averaged) == int(first.ema.n_averaged) == 2


def test_an_average_started_on_a_run_without_one_starts_from_its_checkpoint(tmp_path, teacher):
    plain = _distill(tmp_path, teacher, 32).run()
    cfg = _distill(tmp_path, teacher, 32)
    cfg.resume, cfg.ema_decay = True, 0.9
    again = cfg.run()
    for name, p in again.ema.module.named_parameters():
        assert torch.equal(p, plain.bfm.state_dict()[name]) and torch.equal(p, again.bfm.state_dict()[name]), name
    assert int(again.ema.n_averaged) == 1  # the next step mixes 0.1 of the new weights in, not a copy


@pytest.mark.parametrize("decay", [-0.1, 1.0])
def test_a_decay_outside_zero_one_is_refused(decay):
    with pytest.raises(ValueError, match="--ema-decay"):
        DistillConfig(ema_decay=decay)
