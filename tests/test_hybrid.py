"""Hybrid SNN/ANN GANs: the spiking layer's gradients, the variants' shapes and wiring, CIFAR-10 files, the CLI."""

import json
import pickle

import numpy as np
import pytest
import torch

from model.common.errors import UserError
from model.data.mnist import DataError
from model.hybrid.nets import DISCRIMINATORS, VARIANTS, NetShape, build_discriminator, build_generator
from model.hybrid.spiking import LifParams, lif_rate, lif_steps, lif_trains
from model.hybrid.train import HybridConfig, train

TINY = NetShape(width=4, latent=8)
LIF = LifParams(theta=0.05, timesteps=5)  # a low threshold: the untrained tiny networks spike


@pytest.mark.parametrize("reset", ["subtract", "zero"])
@pytest.mark.parametrize("leak", [None, 2])
def test_the_closed_form_backprop_equals_autograd_through_the_neuron_step(reset, leak):
    p = LifParams(theta=1.0, timesteps=7, leak_shift=leak, reset=reset)
    g = torch.Generator().manual_seed(1)
    x = (torch.rand(4, 6, generator=g, dtype=torch.float64) * 1.5).requires_grad_()
    w = torch.rand(7, 4, 6, generator=g, dtype=torch.float64)
    reference = torch.stack(lif_steps(x, p))
    (want,) = torch.autograd.grad((reference * w).sum(), x, retain_graph=True)
    trains = lif_trains(x.expand(7, *x.shape), p)
    assert torch.equal(trains, reference.detach())
    (got,) = torch.autograd.grad((trains * w).sum(), x)
    assert torch.allclose(got, want, atol=1e-12) and want.abs().sum() > 0
    (want_rate,) = torch.autograd.grad(reference.mean(0).sum(), x)
    rate = lif_rate(x, p)
    assert torch.equal(rate, reference.mean(0).detach())
    (got_rate,) = torch.autograd.grad(rate.sum(), x)
    assert torch.allclose(got_rate, want_rate, atol=1e-12)
    per_step = (torch.rand(7, 4, 6, generator=g, dtype=torch.float64) * 1.5).requires_grad_()
    (want_steps,) = torch.autograd.grad((torch.stack(lif_steps(list(per_step), p)) * w).sum(), per_step)
    (got_steps,) = torch.autograd.grad((lif_trains(per_step, p) * w).sum(), per_step)
    assert torch.allclose(got_steps, want_steps, atol=1e-12)


def test_spikes_equal_snntorch_leaky_with_an_immediate_reset():
    snn = pytest.importorskip("snntorch")
    from snntorch import surrogate

    k, theta, T = 3, 1.0, 20
    current = torch.rand(64, 10, generator=torch.Generator().manual_seed(2)) * 0.9 * theta  # below theta: one reset per step
    peer = snn.Leaky(beta=1 - 2.0 ** -k, threshold=theta, reset_mechanism="subtract", reset_delay=False,
                     spike_grad=surrogate.atan())
    mem = peer.init_leaky()
    theirs = []
    for _ in range(T):
        spk, mem = peer(current, mem)
        theirs.append(spk)
    ours = lif_steps(current, LifParams(theta=theta, timesteps=T, leak_shift=k))
    assert torch.equal(torch.stack(ours), torch.stack(theirs)) and torch.stack(ours).sum() > 100


@pytest.mark.parametrize("shape", [TINY, NetShape(image_size=32, channels=3, width=4, latent=8)])
@pytest.mark.parametrize("variant", VARIANTS)
def test_every_generator_gives_images_of_the_data_shape_in_range(variant, shape):
    gen = build_generator(variant, shape, LIF)
    out = gen(torch.randn(3, shape.latent))
    assert out.shape == (3, shape.channels, shape.image_size, shape.image_size)
    assert out.min() >= -1 and out.max() <= 1


@pytest.mark.parametrize("kind", DISCRIMINATORS)
def test_every_discriminator_scores_each_image(kind):
    d = build_discriminator(kind, TINY, LIF)
    assert d(torch.rand(5, 1, 28, 28)).shape == (5,)


def test_the_placed_variants_have_the_ann_generators_parameters():
    counts = {v: sum(p.numel() for p in build_generator(v, TINY, LIF).parameters()) for v in ("ann", "front", "middle", "back")}
    assert len(set(counts.values())) == 1


def _upstream(net):
    """A parameter every spiking module of ``net`` lies downstream of."""
    return net.first[0].weight if hasattr(net, "first") else net.fc.weight


@pytest.mark.parametrize("net", [*VARIANTS[1:], "snn-d"])
def test_a_nonzero_surrogate_gradient_reaches_the_layers_before_each_spiking_module(net):
    torch.manual_seed(0)
    if net == "snn-d":
        model, out = build_discriminator("snn", TINY, LIF), None
        out = model(torch.rand(8, 1, 28, 28) * 2 - 1)
    else:
        model = build_generator(net, TINY, LIF)
        out = model(torch.randn(8, TINY.latent))
    (grad,) = torch.autograd.grad(out.square().sum(), _upstream(model))
    assert grad.abs().sum() > 0 and torch.isfinite(grad).all()


@pytest.mark.parametrize("net", [*VARIANTS, "ann-d", "snn-d"])
def test_an_image_does_not_change_when_the_rest_of_its_batch_does(net):
    torch.manual_seed(0)
    model = build_discriminator(net[:3], TINY, LIF) if net.endswith("-d") else build_generator(net, TINY, LIF)
    model.eval()
    a = torch.rand(6, 1, 28, 28) if net.endswith("-d") else torch.randn(6, TINY.latent)
    b = a.clone()
    b[1:] = torch.rand_like(b[1:]) if net.endswith("-d") else torch.randn_like(b[1:])
    with torch.no_grad():
        assert torch.equal(model(a)[0], model(b)[0])
        assert not torch.equal(model(a)[1], model(b)[1])


def test_the_back_variant_outputs_its_spike_rate():
    gen = build_generator("back", TINY, LIF).eval()
    with torch.no_grad():
        out = gen(torch.randn(4, TINY.latent))
        levels = (out + 1) / 2 * LIF.timesteps
        assert torch.allclose(levels, levels.round(), atol=1e-5) and levels.max() > 0
        gen.lif.params = LifParams(theta=1e9, timesteps=LIF.timesteps)  # no spikes: a black image
        assert torch.equal(gen(torch.randn(4, TINY.latent)), -torch.ones(4, 1, 28, 28))


def test_the_extractors_second_layer_reads_the_first_layers_spikes():
    gen = build_generator("extractor", TINY, LIF).eval()
    seen = []
    gen.inner.layer.register_forward_hook(lambda m, args, out: seen.append(args[0]))
    with torch.no_grad():
        gen(torch.randn(4, TINY.latent))
    values = torch.unique(seen[0])
    assert set(values.tolist()) <= {0.0, 1.0} and len(values) == 2


def test_a_short_run_lowers_ds_error():
    x = torch.rand(64, 1, 28, 28) * 0.1
    x[:, :, 8:20, 12:16] = 1.0  # one bright bar: easy to tell from G's first images
    config = HybridConfig(variant="middle", discriminator="snn", shape=TINY, g_lif=LIF, d_lif=LifParams(timesteps=4),
                          updates=40, batch=16, lr=1e-3)
    errors = train(x, config).history["d_error"]
    assert np.mean(errors[-10:]) < np.mean(errors[:10])


def test_d_sees_real_images_in_the_generators_range(monkeypatch):
    import model.hybrid.train as hybrid_train

    seen = []
    real_update = hybrid_train.update
    monkeypatch.setattr(hybrid_train, "update", lambda run, real, *a: (seen.append(real), real_update(run, real, *a)))
    x = torch.rand(8, 1, 28, 28)
    x[:, 0, 0, 0], x[:, 0, 0, 1] = 0.0, 1.0
    train(x, HybridConfig(variant="ann", shape=TINY, updates=3, batch=8))
    real = torch.cat(seen)
    assert real.min() == -1 and real.max() == 1  # as G's tanh: [0, 1] pixels scaled to [-1, 1]


def test_config_errors_name_the_bad_value():
    with pytest.raises(UserError, match="variant must be one of"):
        HybridConfig(variant="sideways")
    with pytest.raises(UserError, match="image_size must be a multiple of 4"):
        NetShape(image_size=30)
    with pytest.raises(UserError, match="timesteps must be an integer >= 1"):
        LifParams(timesteps=0)
    with pytest.raises(UserError, match="do not fit"):
        train(torch.rand(4, 1, 32, 32), HybridConfig(shape=TINY, updates=1))


def test_cifar10_batches_load_as_rgb_images(tmp_path, cifar_files):
    from model.data.cifar import load_cifar10

    root = cifar_files(tmp_path / "cifar-10-batches-py")
    train_set = load_cifar10("train", tmp_path)
    assert train_set.images.shape == (60, 3, 32, 32) and train_set.labels.shape == (60,)
    raw = pickle.loads((root / "data_batch_1").read_bytes())[b"data"][0]
    assert torch.equal(train_set.images[0, 0].flatten(), torch.from_numpy(raw[:1024].astype(np.float32) / 255))
    assert len(load_cifar10("test", root)) == 12


class _Evil:
    def __reduce__(self):
        import os
        return (os.system, ("echo pwned",))


@pytest.mark.parametrize("problem", ["missing", "code", "truncated", "shape"])
def test_bad_cifar10_files_are_refused_with_a_fix(tmp_path, problem, cifar_files):
    from model.data.cifar import load_cifar10

    root = cifar_files(tmp_path)
    target = root / "data_batch_3"
    if problem == "missing":
        target.unlink()
    elif problem == "code":
        target.write_bytes(pickle.dumps({b"data": _Evil(), b"labels": [1]}))
    elif problem == "truncated":
        target.write_bytes(target.read_bytes()[:100])
    else:
        target.write_bytes(pickle.dumps({b"data": np.zeros((4, 100), np.uint8), b"labels": [0, 1, 2, 3]}))
    with pytest.raises(DataError, match="cifar-10"):
        load_cifar10("train", root)
    with pytest.raises(DataError, match="--data-dir"):
        load_cifar10("train", None)


def test_cli_runs_cifar10_and_writes_the_report(tmp_path, cifar_files, monkeypatch, png_title):
    from model.__main__ import main

    monkeypatch.setenv("SPIKEGAN_WEIGHTS", str(tmp_path / "weights"))
    data = cifar_files(tmp_path / "cifar")
    out = tmp_path / "report"
    rc = main(["hybrid", "--dataset", "cifar10", "--data-dir", str(data), "--variant", "ann,back", "--updates", "2",
               "--batch", "4", "--width", "4", "--timesteps", "3", "--d-timesteps", "2", "--theta", "0.05", "--images", "10",
               "--out", str(out)])
    assert rc == 0
    report = json.loads((out / "hybrid.json").read_text())
    rows = report["datasets"][0]["rows"]
    assert [(r["variant"], r["discriminator"]) for r in rows] == [("ann", "ann"), ("ann", "snn"), ("back", "ann"), ("back", "snn")]
    assert rows[2]["g_spiking"]["spikes_per_image"] > 0 and rows[1]["d_spiking"]["spikes_per_image"] > 0
    assert rows[0]["g_spiking"]["spikes_per_image"] == 0 and all(r["fid"] > 0 for r in rows)
    assert (tmp_path / "weights" / "classifier-cifar10.pt").is_file()
    for f in ("report.md", "samples_cifar10_back-g_snn-d.png", "d_error_cifar10.png"):
        assert (out / f).stat().st_size > 0
    title = png_title(out / "samples_cifar10_back-g_snn-d.png")
    assert "spiking back generator, SNN discriminator, on cifar10, 2 updates of batch 4" in title
    assert "G's LIF T = 3, theta = 0.05" in title and "D's LIF T = 2" in title
    assert "on cifar10" in png_title(out / "d_error_cifar10.png")
    assert "real-data floor" in (out / "report.md").read_text()


@pytest.mark.parametrize("argv, message", [(["--variant", "sideways"], "unknown 'sideways'"),
                                           (["--dataset", "cifar10"], "--data-dir"),
                                           (["--images", "5"], "--images must be >= 10"),
                                           (["--timesteps", "0"], "timesteps must be"),
                                           (["--device", "cuda:7"], None)])
def test_cli_refuses_bad_options_with_a_message(argv, message, capsys):
    from model.__main__ import main

    if message is None and torch.cuda.is_available():
        pytest.skip("a GPU is visible")
    assert main(["hybrid", *argv, "--updates", "1"]) == 2
    assert (message or "no CUDA GPU") in capsys.readouterr().err
