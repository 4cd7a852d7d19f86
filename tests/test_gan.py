"""The GAN modules: shapes, ranges, the exact affine form the converter relies on, the losses."""

import argparse
import math

import pytest
import torch
import torch.nn.functional as F

from model.common.errors import UserError
from model.gan.config import OUT_GRADS, TrainConfig, parse_hidden
from model.gan.nets import Discriminator, Generator, TextbookGenerator, build_models, d_loss, g_loss, output_clamp, qcfs


pytestmark = pytest.mark.usefixtures("one_thread")  # small networks run fastest on one thread


def _affine_forward(layers, u, levels=0):
    """``clamp(L_n(a(...a(L_1(u)))), 0, 1)``, ``a`` ReLU or, with ``levels``, ``clamp(floor(h L + 1/2), 0, L) / L``."""
    h = u.double()
    for i, (w, b) in enumerate(layers):
        h = h @ w.T + b
        if i < len(layers) - 1:
            h = (torch.floor(h * levels + 0.5).clamp(0, levels) / levels) if levels else torch.relu(h)
    return h.clamp(0.0, 1.0)


def _randomise_batchnorm(gen: Generator, seed: int = 1) -> None:
    """Give every BatchNorm non-trivial affine parameters and running statistics."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for bn in gen.norms:
            if isinstance(bn, torch.nn.BatchNorm1d):
                n = bn.num_features
                bn.weight.copy_(0.5 + torch.rand(n, generator=g))
                bn.bias.copy_(torch.randn(n, generator=g) * 0.3)
                bn.running_mean.copy_(torch.randn(n, generator=g) * 0.5)
                bn.running_var.copy_(0.2 + torch.rand(n, generator=g) * 2)


@pytest.mark.parametrize("hidden", [(1200, 1200), (64, 64)])
def test_generator_shapes_and_range(hidden):
    torch.manual_seed(0)
    gen = Generator(100, hidden).eval()
    u = torch.rand(7, 100)
    x = gen(u)
    assert x.shape == (7, 784)
    assert x.min() >= 0.0 and x.max() <= 1.0
    assert [tuple(w.shape) for w, _ in gen.affine_layers()] == [(hidden[0], 100), (hidden[1], hidden[0]), (784, hidden[1])]


def test_noise_is_uniform_in_unit_cube():
    gen = Generator(100, (8, 8))
    u = gen.sample_noise(5000, torch.Generator().manual_seed(0))
    assert u.shape == (5000, 100) and u.min() >= 0 and u.max() < 1
    assert abs(u.mean().item() - 0.5) < 0.01


@pytest.mark.parametrize("batchnorm", [True, False])
def test_affine_layers_reproduce_eval_generator(batchnorm):
    torch.manual_seed(0)
    gen = Generator(100, (48, 32), batchnorm=batchnorm)
    with torch.no_grad():  # weights large enough that both clamp ends and ReLU zeros occur
        gen.linears[-1].weight.mul_(20.0)
    if batchnorm:
        _randomise_batchnorm(gen)
    gen.eval()
    u = torch.rand(256, 100, generator=torch.Generator().manual_seed(2))
    layers = gen.affine_layers()
    assert all(w.dtype == torch.float64 and b.dtype == torch.float64 for w, b in layers)
    expected = gen(u).double()
    got = _affine_forward(layers, u)
    assert (expected == 0).any() and (expected == 1).any() and ((expected > 0) & (expected < 1)).any()
    torch.testing.assert_close(got, expected, atol=2e-5, rtol=0)


def test_affine_layers_with_trained_batchnorm_statistics():
    """After real train-mode passes (running stats from data, not set by hand) the fold still holds."""
    torch.manual_seed(3)
    gen = Generator(100, (40, 40))
    with torch.no_grad():
        for _ in range(20):
            gen(torch.rand(64, 100))
    gen.eval()
    u = torch.rand(100, 100)
    torch.testing.assert_close(_affine_forward(gen.affine_layers(), u), gen(u).double(), atol=2e-5, rtol=0)


def test_qcfs_rounds_to_levels_clips_and_passes_gradients_straight_through():
    h = torch.tensor([-1.0, 0.1, 0.3, 0.76, 1.9, 5.0], requires_grad=True)
    clip = torch.tensor(2.0, requires_grad=True)
    y = qcfs(h, clip, 4)  # steps of clip / L = 0.5, rounded
    assert y.tolist() == [0.0, 0.0, 0.5, 1.0, 2.0, 2.0]
    y.sum().backward()
    assert h.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 1.0, 0.0]  # the gradient of clamp(h, 0, clip)
    # d/dclip: (floor(x) - x + 1/2) / L inside the range, 1 where clipped at the top, 0 below it
    x = h.detach()[1:5] * 2 + 0.5
    assert clip.grad.item() == pytest.approx(float(((torch.floor(x) - x + 0.5) / 4).sum()) + 1.0)


@pytest.mark.parametrize("levels", [4, 16])
def test_affine_layers_of_a_qcfs_generator_are_normalised_and_quantised(levels):
    """Folding each learnt clip leaves hidden activations clamp(floor(h L + 1/2), 0, L) / L of the layers."""
    torch.manual_seed(0)
    gen = Generator(100, (48, 32), levels=levels)
    with torch.no_grad():
        gen.linears[-1].weight.mul_(20.0)
        gen.clips.copy_(torch.tensor([1.7, 0.6]))
    _randomise_batchnorm(gen)
    gen.eval()
    u = torch.rand(256, 100, generator=torch.Generator().manual_seed(2))
    expected = gen(u).double()
    torch.testing.assert_close(_affine_forward(gen.affine_layers(), u, levels), expected, atol=2e-5, rtol=0)
    with pytest.raises(AssertionError):  # not the ReLU network
        torch.testing.assert_close(_affine_forward(gen.affine_layers(), u), expected, atol=2e-5, rtol=0)


def test_rate_is_the_mean_hidden_spike_rate_and_descends():
    torch.manual_seed(0)
    gen = Generator(100, (48, 32), levels=8)
    u = torch.rand(64, 100)
    image, rate = gen.forward_with_rate(u)
    torch.testing.assert_close(image, gen(u))
    assert Generator(100, (48, 32)).forward_with_rate(u)[1] is None  # ReLU: no clip, no rate
    opt = torch.optim.Adam(gen.parameters(), lr=0.02)
    before = float(rate.detach())
    for _ in range(20):
        opt.zero_grad()
        gen.forward_with_rate(u)[1].backward()
        opt.step()
    assert 0 < before and float(gen.forward_with_rate(u)[1].detach()) < before / 2


def test_output_gradients_only_change_the_backward_pass():
    torch.manual_seed(0)
    gens = {g: Generator(10, (6, 6), batchnorm=False, out_grad=g) for g in OUT_GRADS}
    for gen in gens.values():
        gen.load_state_dict(gens["hard"].state_dict())
        with torch.no_grad():
            gen.linears[-1].bias.fill_(3.0)  # every output saturated at 1
    u = torch.rand(4, 10)
    outs = {g: gen(u) for g, gen in gens.items()}
    assert all(torch.equal(outs["hard"], o) for o in outs.values())

    def bias_grad(name, sign):
        gens[name].zero_grad()
        (sign * gens[name](u)).sum().backward()
        return gens[name].linears[-1].bias.grad.abs()

    assert bias_grad("hard", 1).sum() == 0 and bias_grad("hard", -1).sum() == 0
    assert bias_grad("straight", 1).min() > 0 and bias_grad("straight", -1).min() > 0
    assert bias_grad("inward", 1).min() > 0  # descent lowers y: back towards the range
    assert bias_grad("inward", -1).sum() == 0  # descent would raise y further out


def test_textbook_generator_and_discriminator():
    torch.manual_seed(0)
    gen = TextbookGenerator(100, (32, 32))
    z = gen.sample_noise(9)
    x = gen(z)
    assert x.shape == (9, 784) and x.min() >= 0 and x.max() <= 1
    assert z.min() < 0  # Gaussian noise, not the SNN's rates
    with pytest.raises(UserError, match="spikegan"):
        gen.affine_layers()
    disc = Discriminator((64,), 0.3)
    assert disc(x).shape == (9,)


def test_build_models_follow_config():
    gen, disc = build_models(TrainConfig(hidden=(64, 64), d_hidden=(32,), arch="spikegan"))
    assert isinstance(gen, Generator) and gen.hidden == (64, 64)
    assert [m.out_features for m in disc.body if isinstance(m, torch.nn.Linear)] == [32] and disc.head.in_features == 32
    gen, _ = build_models(TrainConfig(hidden=(64, 64), arch="textbook"))
    assert isinstance(gen, TextbookGenerator)


def test_losses_match_equations():
    real = torch.tensor([2.0, -1.0])
    fake = torch.tensor([0.5, -3.0])
    d_real, d_fake = torch.sigmoid(real), torch.sigmoid(fake)
    expected_d = -(torch.log(d_real).mean() + torch.log(1 - d_fake).mean())
    torch.testing.assert_close(d_loss(real, fake), expected_d)
    torch.testing.assert_close(g_loss(fake, "minimax"), torch.log(1 - d_fake).mean())
    torch.testing.assert_close(g_loss(fake, "nonsaturating"), -torch.log(d_fake).mean())
    smoothed = d_loss(real, fake, real_label=0.9)
    torch.testing.assert_close(
        smoothed, F.binary_cross_entropy(d_real, torch.full_like(d_real, 0.9)) - torch.log(1 - d_fake).mean()
    )
    # at D(G(z)) = 1/2 both generator losses have slope of the same size
    assert math.isclose(abs(g_loss(torch.zeros(1), "minimax").item()), math.log(2), rel_tol=1e-6)


def test_parse_hidden_and_config_errors():
    assert parse_hidden("64") == (64, 64)
    assert parse_hidden("256,128") == (256, 128)
    with pytest.raises(argparse.ArgumentTypeError, match="--hidden"):
        parse_hidden("big")
    with pytest.raises(UserError, match="--arch"):
        TrainConfig(arch="dcgan")
    with pytest.raises(UserError, match="--batch"):
        TrainConfig(batch=1)
    with pytest.raises(UserError, match="--qcfs-levels must be >= 0"):
        TrainConfig(qcfs_levels=-1)
    with pytest.raises(UserError, match="--qcfs-levels needs the convertible generator"):
        TrainConfig(arch="textbook", qcfs_levels=8)
    with pytest.raises(UserError, match="--rate-penalty needs --qcfs-levels"):
        TrainConfig(rate_penalty=0.1)


def test_inward_gradient_only_pulls_saturated_outputs_back():
    y = torch.tensor([[-3.0, -3.0, 0.0, 3.0, 3.0]], requires_grad=True)
    out = output_clamp(y, "inward")
    assert torch.equal(out.detach(), torch.tensor([[-1.0, -1.0, 0.0, 1.0, 1.0]]))
    # upstream gradient: +1 asks descent to lower y, -1 to raise it
    out.backward(torch.tensor([[1.0, -1.0, 1.0, 1.0, -1.0]]))
    assert torch.equal(y.grad, torch.tensor([[0.0, -1.0, 1.0, 1.0, 0.0]]))
    y.grad = None
    out = output_clamp(y, "inward", margin=1.5)  # |y| = 3 lies beyond the margin too
    out.backward(torch.tensor([[1.0, -1.0, 1.0, 1.0, -1.0]]))
    assert torch.equal(y.grad, torch.tensor([[0.0, -1.0, 1.0, 1.0, 0.0]]))
    y.grad = None
    out = output_clamp(y, "inward", margin=2.0)  # |y| = 3 = 1 + margin: everything passes
    out.backward(torch.tensor([[1.0, -1.0, 1.0, 1.0, -1.0]]))
    assert torch.equal(y.grad, torch.tensor([[1.0, -1.0, 1.0, 1.0, -1.0]]))
