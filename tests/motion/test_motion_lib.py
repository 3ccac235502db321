"""MotionLib: agreement with the simulator's kinematics, interpolation, looping."""

from __future__ import annotations

import pytest
import torch

from tasktokens import rotations as rot
from tasktokens.motion.clip import ClipError, load_clip
from tasktokens.motion.motion_lib import MotionLib
from tasktokens.sim.batch_sim import BatchSim, SimConfig


def partner(name: str) -> str:
    """The body on the other side: left_foot <-> right_foot; pelvis -> pelvis."""
    side, _, rest = name.partition("_")
    return {"left": "right_", "right": "left_"}[side] + rest if side in ("left", "right") else name


def test_reference_states_set_in_the_simulator_give_the_same_bodies(character, small_lib):
    """qpos/qvel of reference frames, reset into BatchSim: MuJoCo's body states equal MotionLib's."""
    lib = small_lib
    ids = torch.tensor([0, 0, 1, 1, 2, 2])
    frames = torch.tensor([0, 17, 3, 20, 10, 40])
    times = frames.double() / lib.fps[ids].double()
    ref = lib.state(ids, times.float())
    sim = BatchSim(character, SimConfig(num_envs=6, num_threads=1))
    sim.reset(torch.arange(6), ref.qpos.double(), ref.qvel.double())
    lin, ang = sim.body_velocities()
    kw = dict(atol=1e-5, rtol=0)
    torch.testing.assert_close(sim.body_pos.float(), ref.body_pos, **kw)
    torch.testing.assert_close(sim.body_quat.float(), ref.body_quat, **kw)
    torch.testing.assert_close(lin.float(), ref.body_lin_vel, **kw)
    torch.testing.assert_close(ang.float(), ref.body_ang_vel, **kw)
    # and frame_state is the stored frame
    one = lib.frame_state(1, 20)
    torch.testing.assert_close(one.qpos[0], ref.qpos[3], **kw)


def test_interpolation_between_two_frames(character, small_lib):
    lib = small_lib
    chest = int(character.model().joint("chest").qposadr[0])
    cid = lib.clip_index("humanoid3d_kick")
    f0 = lib.frame_state(cid, 10)
    f1 = lib.frame_state(cid, 11)
    t_mid = (10.5 / lib.fps[cid]).reshape(1)
    mid = lib.state(torch.tensor([cid]), t_mid)
    # positions: linear
    torch.testing.assert_close(mid.qpos[0, :3], 0.5 * (f0.qpos[0, :3] + f1.qpos[0, :3]))
    torch.testing.assert_close(mid.body_pos, 0.5 * (f0.body_pos + f1.body_pos))
    # rotations: slerp midpoint, half the angle from either end
    for a, b, c in (
        (f0.qpos[0, 3:7], f1.qpos[0, 3:7], mid.qpos[0, 3:7]),
        (f0.qpos[0, chest : chest + 4], f1.qpos[0, chest : chest + 4], mid.qpos[0, chest : chest + 4]),
    ):
        half = rot.quat_angle_between(a, b) / 2
        torch.testing.assert_close(rot.quat_angle_between(a, c), half, atol=1e-4, rtol=0)
        torch.testing.assert_close(rot.quat_angle_between(c, b), half, atol=1e-4, rtol=0)
        assert c.norm() == pytest.approx(1.0, abs=1e-6)
    torch.testing.assert_close(mid.body_quat[0, 5], rot.quat_slerp(f0.body_quat[0, 5], f1.body_quat[0, 5], torch.tensor(0.5)))


def test_loop_cycle_offset(small_lib):
    lib = small_lib
    cid = lib.clip_index("humanoid3d_walk")
    assert bool(lib.loop[cid])
    offset = lib.cycle_offset[cid]
    assert offset[0] > 1.0 and offset[2] == 0  # one walk cycle moves forward along x, not up
    d = float(lib.duration[cid])
    ids = torch.full((3,), cid)
    t = torch.tensor([0.1, 0.47, 1.0])
    a = lib.state(ids, t)
    b = lib.state(ids, t + d)
    c = lib.state(ids, t + 2 * d)
    torch.testing.assert_close(b.body_pos, a.body_pos + offset, atol=1e-5, rtol=0)
    torch.testing.assert_close(c.qpos[:, :3], a.qpos[:, :3] + 2 * offset, atol=1e-5, rtol=0)
    torch.testing.assert_close(b.body_quat, a.body_quat, atol=1e-5, rtol=0)
    torch.testing.assert_close(b.qvel, a.qvel, atol=1e-4, rtol=0)


def test_non_looping_clip_holds_its_last_frame(small_lib):
    lib = small_lib
    cid = lib.clip_index("humanoid3d_kick")
    assert not bool(lib.loop[cid]) and torch.all(lib.cycle_offset[cid] == 0)
    last = lib.frame_state(cid, int(lib.num_frames[cid]) - 1)
    late = lib.state(torch.tensor([cid, cid]), lib.duration[cid] + torch.tensor([0.0, 5.0]))
    torch.testing.assert_close(late.qpos, last.qpos.expand(2, -1))
    first = lib.state(torch.tensor([cid]), torch.tensor([-1.0]))
    torch.testing.assert_close(first.qpos, lib.frame_state(cid, 0).qpos)


def test_sampling_and_names(small_lib):
    lib = small_lib
    assert lib.names == ["humanoid3d_walk", "humanoid3d_run", "humanoid3d_kick"] and lib.num_clips == 3
    with pytest.raises(KeyError, match="humanoid3d_walk"):
        lib.clip_index("nope")
    g = torch.Generator().manual_seed(0)
    ids = lib.sample_clips(2000, generator=g)
    counts = torch.bincount(ids, minlength=3).float() / 2000
    torch.testing.assert_close(counts, lib.duration / lib.duration.sum(), atol=0.05, rtol=0)
    times = lib.sample_times(ids, generator=g)
    assert torch.all(times >= 0) and torch.all(times <= lib.duration[ids])
    only_run = lib.sample_clips(50, weights=torch.tensor([0.0, 1.0, 0.0]), generator=g)
    assert torch.all(only_run == 1)


def test_mirror_option_adds_mirrors(character, walk_file):
    clip = load_clip(walk_file, character)
    lib = MotionLib(character, [clip], mirror=True)
    assert lib.names == ["humanoid3d_walk", "humanoid3d_walk_mirror"]
    a, b = lib.frame_state(0, 5), lib.frame_state(1, 5)
    # the mirror's left foot is where the original's right foot is, reflected across y = 0
    names = character.body_names
    swap = [names.index(partner(n)) for n in names]
    reflect = torch.tensor([1.0, -1.0, 1.0])
    torch.testing.assert_close(b.body_pos[0], a.body_pos[0, swap] * reflect, atol=1e-5, rtol=0)


def test_empty_or_broken_inputs_raise(character, walk_file, tmp_path):
    with pytest.raises(ClipError):
        MotionLib(character, [])
    (tmp_path / "broken.txt").write_text("[]")
    with pytest.raises(ClipError, match="broken.txt"):
        MotionLib.from_paths([walk_file, tmp_path / "broken.txt"], character)
