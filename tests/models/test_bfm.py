"""BFM: masking hides what it should, token dropping is exact, KL and loss as specified."""

import math

import pytest
import torch

from tasktokens import rotations as rot
from tasktokens.envs.goals import GOAL_FEATURES, apply_goal_mask, goal_frame_from_reference
from tasktokens.models.bfm import BFM, BFMConfig, Goals, distillation_loss, gaussian_kl

P, E, POST, NU = 20, 7, 30, 28


@pytest.fixture()
def bfm():
    torch.manual_seed(0)
    model = BFM(BFMConfig(d_model=32, num_layers=2, num_heads=2, latent_dim=8, num_skills=3, decoder_hidden=(32,), posterior_hidden=(32,)), P, E, POST, NU)
    return model.eval()


def _goals(n, frames=4, seed=1):
    g = torch.Generator().manual_seed(seed)
    raw = torch.randn(n, frames, E, GOAL_FEATURES, generator=g)
    mask = torch.rand(n, frames, E, 2, generator=g) > 0.5
    return Goals(apply_goal_mask(raw, mask), torch.rand(n, frames, generator=g), skill=torch.full((n,), -1))


def test_fully_masked_token_content_cannot_change_the_output(bfm):
    proprio = torch.randn(5, P)
    goals = _goals(5)
    goals.frames[:, 2, :, -2:] = 0.0  # token 2 hidden in every sample
    mu1, _ = bfm.prior(proprio, goals)
    goals.frames[:, 2, :, :-2] = torch.randn(5, E, GOAL_FEATURES) * 100  # garbage in the hidden token
    goals.times[:, 2] = 42.0
    mu2, _ = bfm.prior(proprio, goals)
    assert torch.equal(mu1, mu2)


def test_masked_channels_are_zeroed():
    raw = torch.ones(2, E, GOAL_FEATURES)
    mask = torch.zeros(2, E, 2, dtype=torch.bool)
    mask[0, 3, 0] = True  # translation of entity 3 only
    out = apply_goal_mask(raw, mask)
    assert out[0, 3, :3].eq(1).all() and out[0, 3, 3:GOAL_FEATURES].eq(0).all()
    assert out[1, :, :GOAL_FEATURES].eq(0).all()
    assert out[0, 3, -2:].tolist() == [1.0, 0.0]


def test_dropping_hidden_tokens_gives_the_same_output(bfm):
    """A token hidden in only some samples is masked by attention there; computed alone those
    samples drop it: both give the same result."""
    proprio = torch.randn(4, P)
    goals = _goals(4)
    goals.frames[0, 1, :, -2:] = 0.0
    goals.frames[0, 1, :, :-2] = 0.0
    mu_batch, _ = bfm.prior(proprio, goals)
    single = Goals(goals.frames[:1], goals.times[:1], goals.skill[:1])
    mu_single, _ = bfm.prior(proprio[:1], single)
    assert torch.allclose(mu_batch[:1], mu_single, atol=1e-5)


def test_prior_reads_out_what_the_whole_transformer_gives_at_the_proprioception_token(bfm):
    """BFM.prior runs the last layer for the readout query only: same mu/logvar and the same
    weight and token gradients as the full nn.TransformerEncoder (float rounding apart), with
    tokens hidden in some samples."""
    torch.manual_seed(2)
    bfm.train()  # weight gradients, as in distillation
    proprio, goals, token = torch.randn(6, P), _goals(6), torch.randn(6, 1, 32, requires_grad=True)
    goals.frames[:3, 1, :, -2:] = 0.0  # frame 1 hidden in half the samples

    def full_prior():
        seq, hidden = bfm.tokens(bfm.proprio_norm(proprio), goals, token)
        out = bfm.prior_transformer(seq, src_key_padding_mask=hidden)[:, 0]
        return bfm.prior_out(out).chunk(2, dim=-1)

    results = []
    for fn in (full_prior, lambda: bfm.prior(proprio, goals, token)):
        bfm.zero_grad()
        token.grad = None
        mu, logvar = fn()
        (mu.square().sum() + logvar[:, :4].sum()).backward()
        layers = bfm.prior_transformer.layers
        weights = [layers[-1].linear1.weight.grad.clone(), layers[0].self_attn.in_proj_weight.grad.clone(),
                   layers[-1].self_attn.out_proj.weight.grad.clone()]
        results.append((mu.detach(), logvar[:, :4].detach(), token.grad.clone(), *weights))
    for expected, got in zip(*results, strict=True):
        assert torch.allclose(got, expected, atol=1e-5, rtol=1e-4)
    assert all(g.abs().sum() > 0 for g in results[0][2:])


def test_skill_token_is_a_prior_that_matters(bfm):
    proprio = torch.randn(3, P)
    goals = _goals(3)
    mu_none, _ = bfm.prior(proprio, goals)
    goals.skill = torch.tensor([0, 1, 2])
    mu_skill, _ = bfm.prior(proprio, goals)
    assert not torch.allclose(mu_none, mu_skill)


def test_extra_tokens_receive_gradients_and_change_the_action(bfm):
    proprio = torch.randn(3, P)
    token = torch.zeros(3, 1, 32, requires_grad=True)
    action = bfm.act(proprio, _goals(3), extra_tokens=token)
    action.sum().backward()
    assert token.grad is not None and token.grad.abs().sum() > 0
    assert not torch.allclose(action, bfm.act(proprio, _goals(3)))


def test_gaussian_kl_matches_torch_distributions():
    mu_q, mu_p = torch.randn(6, 8), torch.randn(6, 8)
    lv_q, lv_p = torch.randn(6, 8), torch.randn(6, 8)
    q = torch.distributions.Normal(mu_q, (0.5 * lv_q).exp())
    p = torch.distributions.Normal(mu_p, (0.5 * lv_p).exp())
    assert torch.allclose(gaussian_kl(mu_q, lv_q, mu_p, lv_p), torch.distributions.kl_divergence(q, p).sum(-1), atol=1e-5)
    assert torch.allclose(gaussian_kl(mu_q, lv_q, mu_q, lv_q), torch.zeros(6), atol=1e-6)


def test_distillation_loss_is_mse_plus_beta_kl(bfm):
    proprio, post, teacher = torch.randn(5, P), torch.randn(5, POST), torch.randn(5, NU)
    goals = _goals(5)
    loss, parts = distillation_loss(bfm, proprio, goals, post, teacher, beta=0.01, generator=torch.Generator().manual_seed(3))
    mu_q, lv_q = bfm.posterior_params(proprio, post)
    mu_p, lv_p = bfm.prior(proprio, goals)
    eps = torch.randn(mu_q.shape, generator=torch.Generator().manual_seed(3))
    mse = (bfm.decode(proprio, mu_q + (0.5 * lv_q).exp() * eps) - teacher).pow(2).mean()
    kl = gaussian_kl(mu_q, lv_q, mu_p, lv_p).mean()
    assert torch.allclose(loss, mse + 0.01 * kl, atol=1e-6)
    assert torch.allclose(parts["mse"], mse) and torch.allclose(parts["kl"], kl)


def test_prior_action_weight_adds_the_inference_path_mse(bfm):
    """With weight w the loss gains w * MSE(decoder(mu_prior), teacher), and only then does that
    term send gradients into the prior (with beta = 0 the prior gets none without it)."""
    proprio, post, teacher = torch.randn(5, P), torch.randn(5, POST), torch.randn(5, NU)
    goals = _goals(5)
    gen = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    base, parts = distillation_loss(bfm, proprio, goals, post, teacher, beta=0.01, generator=gen())
    mu_p, _ = bfm.prior(proprio, goals)
    mse_prior = (bfm.decode(proprio, mu_p) - teacher).pow(2).mean()
    weighted, parts_w = distillation_loss(bfm, proprio, goals, post, teacher, beta=0.01, generator=gen(), prior_action_weight=0.5)
    assert torch.allclose(parts["mse_prior"], mse_prior) and torch.allclose(parts_w["mse_prior"], mse_prior)
    assert torch.allclose(weighted, base + 0.5 * mse_prior, atol=1e-6)
    for w, reaches in ((0.0, False), (1.0, True)):
        bfm.zero_grad(set_to_none=True)
        distillation_loss(bfm, proprio, goals, post, teacher, beta=0.0, generator=gen(), prior_action_weight=w)[0].backward()
        grad = bfm.prior_out[1].weight.grad
        assert (grad is not None and grad.abs().sum() > 0) == reaches


def test_eval_mode_freezes_the_normaliser(bfm):
    before = bfm.proprio_norm.mean.clone()
    bfm.proprio_norm.update(torch.randn(100, P) + 5)
    assert torch.equal(before, bfm.proprio_norm.mean)


def test_goal_frame_in_heading_frame_by_hand():
    """Root at (1, 2, 0.9) facing +y (yaw 90 deg); a target hand 1 m further along +y and a root
    moving at 1.5 m/s along +y: in the heading frame both point along +x."""
    yaw = torch.tensor([math.pi / 2])
    root_q = rot.quat_from_yaw(yaw)
    root_p = torch.tensor([[1.0, 2.0, 0.9]])
    ref_pos = torch.tensor([[[1.0, 2.0, 0.9], [1.0, 3.0, 1.2]]])
    ref_quat = root_q[:, None, :].expand(1, 2, 4)
    vel = torch.tensor([[0.0, 1.5, 0.0]])
    frame = goal_frame_from_reference(root_p, root_q, ref_pos, ref_quat, vel, torch.tensor([1]))
    assert frame.shape == (1, 2, GOAL_FEATURES)
    assert torch.allclose(frame[0, 0, :3], torch.tensor([1.0, 0.0, 0.3]), atol=1e-6)
    assert torch.allclose(frame[0, 0, 3:], torch.tensor([1.0, 0, 0, 0, 0, 1.0]), atol=1e-6)  # same rotation as the heading
    assert torch.allclose(frame[0, 1, :3], torch.tensor([1.5, 0.0, 0.9]), atol=1e-6)
    assert torch.allclose(frame[0, 1, 3:5], torch.tensor([1.0, 0.0]), atol=1e-6)


def _fit_posterior_only_labels(beta: float, steps: int = 300) -> tuple[float, float]:
    """Train a small BFM on labels that depend only on the posterior's input (the future reference),
    at the scale of normalised teacher actions; returns (MSE with z = mu_posterior, label variance)."""
    torch.manual_seed(0)
    model = BFM(BFMConfig(d_model=32, num_layers=1, num_heads=2, latent_dim=32, decoder_hidden=(64,), posterior_hidden=(64,)), P, E, POST, NU)
    w = torch.randn(POST, NU) / math.sqrt(POST)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(steps):
        proprio, post = torch.randn(256, P), torch.randn(256, POST)
        loss, _ = distillation_loss(model, proprio, _goals(256), post, 0.2 * torch.tanh(post @ w), beta)
        opt.zero_grad()
        loss.backward()
        opt.step()
    proprio, post = torch.randn(1024, P), torch.randn(1024, POST)
    labels = 0.2 * torch.tanh(post @ w)
    with torch.no_grad():
        mse = (model.decode(proprio, model.posterior_params(proprio, post)[0]) - labels).pow(2).mean()
    return float(mse), float(labels.var())


def test_default_beta_keeps_information_in_the_latent():
    """Posterior collapse check: with the default beta the decoder learns what only z can tell it;
    with a large beta the KL term wins and z carries nothing (MSE stays at the label variance)."""
    from tasktokens.train.distill import DistillConfig

    mse, var = _fit_posterior_only_labels(DistillConfig().beta)
    assert mse < 0.3 * var
    mse_collapsed, _ = _fit_posterior_only_labels(1.0)
    assert mse_collapsed > 0.8 * var
