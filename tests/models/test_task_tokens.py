"""Task Tokens: only the encoder learns; the BFM stays bitwise frozen; parameter budget."""

import copy

import pytest
import torch
from rsl_rl.models import MLPModel

from tasktokens.algos.ppo import PPOConfig, make_ppo
from tasktokens.character import HUMANOID3D
from tasktokens.envs.goals import GOAL_FEATURES
from tasktokens.models.bfm import BFM, BFMConfig
from tasktokens.models.policies import build_actor
from tasktokens.models.task_tokens import TaskEncoder, TaskTokenActor, trainable_parameters
from tasktokens.motion.motion_lib import MotionLib, data_root
from tasktokens.tasks import get_task
from tasktokens.tasks.base import TaskEnvConfig
from tasktokens.train.adapt_config import AdaptConfig

WALK = data_root() / "motions" / "deepmimic" / "clips" / "humanoid3d_walk.txt"


def _bfm(d=32):
    torch.manual_seed(0)
    cfg = BFMConfig(d_model=d, num_layers=2, num_heads=2, latent_dim=8, decoder_hidden=(64,), posterior_hidden=(64,))
    return BFM(cfg, 223, 7, 30, 28)


@pytest.fixture(scope="module")
def env():
    spec = get_task("direction")
    lib = MotionLib.from_paths([WALK], HUMANOID3D)
    return spec.env_cls(spec.config_cls(env=TaskEnvConfig(num_envs=4, num_threads=1)), motion_lib=lib)


def test_gradients_reach_only_the_encoder_through_the_transformer(env):
    obs = env.get_observations()
    actor = TaskTokenActor(obs, _bfm(), TaskEncoder(3, 32))
    actor(obs).pow(2).sum().backward()
    assert all(p.grad is None for p in actor.bfm.parameters())
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in actor.encoder.mlp.parameters())


def _token_ppo(env, bfm: BFM, d_model: int):
    """make_ppo (as `tasktokens adapt` builds it) over a task-token actor on bfm and a small critic."""
    obs = env.get_observations()
    actor = TaskTokenActor(obs, bfm, TaskEncoder(3, d_model))
    groups = {"actor": ["policy", "task"], "critic": ["policy", "task"]}
    critic = MLPModel(obs, groups, "critic", 1, hidden_dims=(32,), obs_normalization=True)
    ppo = PPOConfig(steps_per_env=4, learning_epochs=2, mini_batches=2, learning_rate=1e-3, schedule="fixed")
    return make_ppo(actor, critic, obs, env.num_envs, env.num_actions, ppo)


def test_the_ppo_optimizer_holds_the_encoder_and_the_critic_not_the_bfm(env):
    bfm = BFM(BFMConfig(d_model=128), 223, 7, 540, 28)  # the default size
    alg = _token_ppo(env, bfm, 128)
    held = [p for group in alg.optimizer.param_groups for p in group["params"]]
    assert {id(p) for p in held} == {id(p) for p in [*alg.actor.encoder.parameters(), *alg.critic.parameters()]}
    assert len(held) == len({id(p) for p in held})
    assert not {id(p) for p in held} & {id(p) for p in bfm.parameters()}
    encoder = {id(p) for p in alg.actor.encoder.parameters()}
    assert sum(p.numel() for p in held if id(p) in encoder) == trainable_parameters(alg.actor) == 3 * 256 + 256 + 256 * 256 + 256 + 256 * 128 + 128


def test_ppo_updates_change_the_encoder_and_leave_the_bfm_bitwise_unchanged(env):
    obs = env.get_observations()
    alg = _token_ppo(env, _bfm(), 32)
    actor = alg.actor
    bfm_before = copy.deepcopy(actor.bfm.state_dict())
    enc_before = copy.deepcopy(actor.encoder.state_dict())
    alg.train_mode()
    for _ in range(3):
        with torch.inference_mode():
            for _ in range(4):
                actions = alg.act(obs)
                obs, rew, done, extras = env.step(actions)
                alg.process_env_step(obs, rew, done, extras)
            alg.compute_returns(obs)
        alg.update()
    for k, v in actor.bfm.state_dict().items():
        assert torch.equal(v, bfm_before[k]), f"BFM tensor {k} changed"
    changed = [k for k, v in actor.encoder.state_dict().items() if not torch.equal(v, enc_before[k])]
    assert any(k.startswith("mlp.") for k in changed) and "norm._mean" in changed
    assert not actor.bfm.training  # stays in eval mode in train mode


def test_zero_init_encoder_starts_as_the_zero_token_and_still_learns(env):
    obs = env.get_observations()
    bfm = _bfm()
    actor = TaskTokenActor(obs, bfm, TaskEncoder(3, 32, zero_init=True))
    assert torch.equal(actor.encoder(obs["task"]), torch.zeros(4, 1, 32))
    assert torch.allclose(actor(obs), bfm.act(obs["policy"], None, torch.zeros(4, 1, 32)), atol=1e-6)
    default = TaskEncoder(3, 32)
    assert default(obs["task"]).abs().max() > 0  # PyTorch's initialisation: not the zero token
    actor(obs).pow(2).sum().backward()
    out_layer = actor.encoder.mlp[-1]
    assert out_layer.weight.grad.abs().sum() > 0  # the output layer gets a gradient at once
    torch.optim.SGD(actor.encoder.parameters(), lr=0.1).step()
    assert actor.encoder(obs["task"]).abs().max() > 0


def test_output_rms_fixes_the_token_scale_and_the_encoder_still_learns(env):
    obs = env.get_observations()
    torch.manual_seed(1)
    encoder = TaskEncoder(3, 32, output_rms=0.2)
    free = TaskEncoder(3, 32)
    free.load_state_dict(encoder.state_dict())
    token, raw = encoder(obs["task"]), free(obs["task"])
    rms = token.pow(2).mean(dim=-1).sqrt()
    assert torch.allclose(rms, torch.full_like(rms, 0.2), atol=1e-6)
    assert torch.allclose(torch.nn.functional.cosine_similarity(token, raw, dim=-1), torch.ones(4, 1), atol=1e-6)  # same direction
    actor = TaskTokenActor(obs, _bfm(), encoder)
    actor(obs).pow(2).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in encoder.mlp.parameters())
    built = build_actor(AdaptConfig(token_rms=0.2), env, _bfm())  # `adapt --token-rms 0.2` reaches the encoder
    assert torch.allclose(built.encoder(obs["task"]).pow(2).mean(dim=-1).sqrt(), torch.full((4, 1), 0.2), atol=1e-6)
    with pytest.raises(ValueError, match="zero_init or output_rms"):
        TaskEncoder(3, 32, zero_init=True, output_rms=0.2)
    with pytest.raises(ValueError, match="positive RMS"):
        TaskEncoder(3, 32, output_rms=-1.0)


def test_shift_penalty_adds_the_gradient_of_the_prior_shift(env):
    obs = env.get_observations()
    w = 0.7
    plain = TaskTokenActor(obs, _bfm(), TaskEncoder(3, 32))
    penalised = TaskTokenActor(obs, _bfm(), TaskEncoder(3, 32), shift_penalty=w)
    penalised.encoder.load_state_dict(plain.encoder.state_dict())
    assert torch.equal(penalised(obs), plain(obs))  # the actions themselves are unchanged
    penalised(obs).sum().backward()
    # by hand: the same action loss plus w * mean(((mu_tok - mu_zero) / sigma_zero)^2), mu_zero
    # and sigma_zero constants
    bfm, p = plain.bfm, obs["policy"]
    token = plain.encoder(obs["task"])
    mu, _ = bfm.prior(p, None, token)
    with torch.no_grad():
        mu0, lv0 = bfm.prior(p, None, torch.zeros_like(token))
    (bfm.decode(p, mu).sum() + w * ((mu - mu0).pow(2) / lv0.exp()).mean()).backward()
    for (name, a), b in zip(penalised.encoder.named_parameters(), plain.encoder.parameters(), strict=True):
        assert torch.allclose(a.grad, b.grad, rtol=1e-4, atol=1e-7), name
    assert all(q.grad is None for q in penalised.bfm.parameters())


def test_trainable_parameters_within_the_budget(env):
    bfm = BFM(BFMConfig(d_model=128), 223, 7, 540, 28)
    actor = TaskTokenActor(env.get_observations(), bfm, TaskEncoder(5, 128))
    n = trainable_parameters(actor)
    assert n == trainable_parameters(actor.encoder) and n <= 200_000
    assert n == 5 * 256 + 256 + 256 * 256 + 256 + 256 * 128 + 128


def test_action_std_is_the_bfms(env):
    actor = TaskTokenActor(env.get_observations(), _bfm(), TaskEncoder(3, 32))
    actor(env.get_observations(), stochastic_output=True)
    assert torch.allclose(actor.output_std, torch.full((4, 28), torch.exp(torch.tensor(-2.9)).item()))


def test_a_given_exploration_std_replaces_the_bfms_and_leaves_the_mean_alone(env):
    obs = env.get_observations()
    default = TaskTokenActor(obs, _bfm(), TaskEncoder(3, 32))
    narrow = TaskTokenActor(obs, _bfm(), TaskEncoder(3, 32), action_std=0.02)
    narrow.encoder.load_state_dict(default.encoder.state_dict())  # same BFM (seeded), same token
    narrow(obs, stochastic_output=True)
    assert torch.allclose(narrow.output_std, torch.full((4, 28), 0.02))
    assert torch.equal(narrow(obs), default(obs))  # deterministic actions (evaluation) unchanged


def test_prior_only_needs_no_encoder(env):
    from tasktokens.models.bfm import Goals

    def prior(proprio, task):
        n = proprio.shape[0]
        frames = torch.zeros(n, 1, 7, GOAL_FEATURES + 2)
        frames[:, 0, 6, -2:] = 1.0  # root pseudo-body visible
        return Goals(frames, torch.ones(n, 1))

    actor = TaskTokenActor(env.get_observations(), _bfm(), None, prior)
    assert trainable_parameters(actor) == 0
    assert actor(env.get_observations()).shape == (4, 28)
