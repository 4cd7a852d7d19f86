"""TTFS model: coding, the once-firing IF layer, temporal backprop and the targets."""

import numpy as np
import pytest
import torch

from model.ttfs.backprop import backward, normalise, over_budget, silencing
from model.ttfs.coding import decode_times, encode_images, encode_pixels, noise_times
from model.ttfs.losses import aggressive_targets, relative_targets, temporal_loss
from model.ttfs.neuron import IfParams, forward, if_layer


def stepped_layer(times_in, weight, theta, T):
    """Reference: simulate every step, a spike train per neuron (to count spikes)."""
    B, M = len(times_in), weight.shape[0]
    v = torch.zeros(B, M, dtype=torch.float64)
    done = torch.zeros(B, M, dtype=torch.bool)
    train = torch.zeros(B, M, T, dtype=torch.int64)
    for t in range(T):
        v += (times_in == t).double() @ weight.double().t()
        fire = (v >= theta) & ~done
        train[:, :, t] = fire.long()
        done |= fire
    return train


def test_encode_s4nn_formula_and_bounds():
    p = torch.arange(256)
    t = encode_pixels(p, 256)
    assert t[255] == 0 and t[0] == 256
    assert torch.equal(t, (255 - p) * 256 // 255)
    assert bool((t[1:] <= t[:-1]).all())  # brighter fires no later
    with pytest.raises(ValueError, match="pixels must be in"):
        encode_pixels(torch.tensor([256]), 16)
    with pytest.raises(ValueError, match="timesteps"):
        encode_pixels(p, 0)


@pytest.mark.parametrize("T", [16, 64, 255, 256])
def test_coding_round_trips(T):
    times = torch.arange(T + 1)
    assert (encode_images(decode_times(times, T), T) - times).abs().max() <= 1
    pixels = torch.rand(1000)
    assert (decode_times(encode_images(pixels, T), T) - pixels).abs().max() <= 1 / T + 0.5 / 255 + 1e-6
    z = noise_times(500, 100, T, torch.Generator().manual_seed(0))
    assert z.min() == 0 and z.max() == T


@pytest.mark.parametrize("seed", range(5))
def test_if_layer_matches_a_stepped_simulation_with_one_spike_at_most(seed):
    g = torch.Generator().manual_seed(seed)
    T = 12
    x = torch.randint(0, T + 1, (7, 9), generator=g)
    w = torch.randint(-4, 6, (5, 9), generator=g).float()
    train = stepped_layer(x, w, 6.0, T)
    assert int(train.sum(2).max()) <= 1
    expected = torch.where(train.sum(2) > 0, train.argmax(2), torch.full((7, 5), T))
    assert torch.equal(if_layer(x, w, IfParams(6.0, T)), expected)


def test_if_layer_same_step_inputs_count_together():
    w = torch.tensor([[3.0, -3.0, 4.0]])
    p = IfParams(4.0, 10)
    # 3 - 3 at step 2 never reaches 4 (the +3 alone would not either); +4 at step 5 makes 4.
    assert if_layer(torch.tensor([[2, 2, 5]]), w, p).item() == 5
    assert if_layer(torch.tensor([[2, 10, 2]]), w, p).item() == 2  # 3 + 4 in one step; the -3 never arrives
    assert if_layer(torch.tensor([[0, 10, 0]]), w, p).item() == 0
    assert if_layer(torch.tensor([[10, 10, 10]]), w, p).item() == 10  # silent: forced to T


def relu_equivalent(weights, base, times, passes, T, targets):
    """Loss of the ReLU-equivalent network at weights ``weights``: the gates and causal masks
    of the forward pass at ``base`` frozen, ``V_j = sum_i w_ji m_ji (1 + t*_i - t_i)`` and
    ``t_j = t*_j - pass_j (V_j - V*_j)`` (Eq. 9-13)."""
    t_prev = times[0].double()
    for l, (w, w0) in enumerate(zip(weights, base)):
        m = ((times[l].unsqueeze(1) <= times[l + 1].unsqueeze(2)) & (times[l] < T).unsqueeze(1)).double()
        shift = (1 + times[l].double() - t_prev).unsqueeze(1)
        v = (w.double() * m * shift).sum(2)
        v0 = (w0.double() * m).sum(2)
        t_prev = times[l + 1].double() - passes[l] * (v - v0)
    return 0.5 * (((t_prev - targets) / T) ** 2).sum()


@pytest.mark.parametrize("seed", range(3))
def test_temporal_backprop_matches_finite_differences_of_relu_equivalent(seed):
    g = torch.Generator().manual_seed(seed)
    T, p = 20, IfParams(5.0, 20)
    x = torch.randint(0, T + 1, (4, 6), generator=g)
    weights = [torch.randint(-2, 5, (5, 6), generator=g).double(), torch.randint(-1, 4, (3, 5), generator=g).double()]
    times = forward(x, weights, p)
    assert (times[1] == T).any() or seed > 0  # a silent hidden neuron is part of the check
    tau = torch.randint(0, T + 1, times[-1].shape, generator=g).double()
    _, grad = temporal_loss(times[-1], tau, T)
    grads, _ = backward(times, weights, grad.double(), p, norm="none")
    passes = [(times[1] < T).double(), torch.ones_like(times[2]).double()]
    eps = 1e-3
    for l, w in enumerate(weights):
        for idx in [(j, i) for j in range(w.shape[0]) for i in range(w.shape[1])]:
            up = [v.clone() for v in weights]
            dn = [v.clone() for v in weights]
            up[l][idx] += eps
            dn[l][idx] -= eps
            fd = (relu_equivalent(up, weights, times, passes, T, tau) - relu_equivalent(dn, weights, times, passes, T, tau)) / (2 * eps)
            assert abs(fd - grads[l][idx]) < 1e-9, (l, idx, float(fd), float(grads[l][idx]))


def test_normalise_l1_l2_and_zero_rows():
    d = torch.tensor([[3.0, -4.0], [0.0, 0.0]])
    assert torch.allclose(normalise(d, "l2")[0], torch.tensor([0.6, -0.8]))
    assert torch.allclose(normalise(d, "l1")[0], torch.tensor([3 / 7, -4 / 7]))
    assert torch.equal(normalise(d, "l2")[1], torch.zeros(2))
    with pytest.raises(ValueError, match="norm"):
        normalise(d, "l3")


def test_silencing_pushes_only_fired_neurons_later_by_its_share_of_the_error():
    g = torch.tensor([[3.0, -4.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
    fired_now = torch.tensor([[True, True, False, False], [True, False, False, False]])
    pushed = silencing(g, fired_now, 0.5)
    push = g - pushed
    assert torch.allclose(push[0], torch.tensor([1.0, 1.0, 0.0, 0.0]) * 0.5 * float(g[0].norm()) / 2 ** 0.5)
    assert torch.allclose(push[0].norm(), 0.5 * g[0].norm())
    assert torch.equal(pushed[1], g[1])  # no error, no push
    assert torch.equal(silencing(g, fired_now, 0.0), g)
    with pytest.raises(ValueError, match="silencing share"):
        silencing(g, fired_now, -1.0)


def test_over_budget_marks_the_spikes_after_the_earliest_ones():
    t = torch.tensor([[5, 1, 9, 1, 9], [9, 9, 9, 0, 2]])  # T = 9: a time of 9 is no spike
    assert over_budget(t, 9, 2).int().tolist() == [[1, 0, 0, 0, 0], [0, 0, 0, 0, 0]]
    assert over_budget(t, 9, 1).int().tolist() == [[1, 0, 0, 1, 0], [0, 0, 0, 0, 1]]  # a tie goes to the lower index
    assert over_budget(t, 9, 0).int().tolist() == [[1, 1, 0, 1, 0], [0, 0, 0, 1, 1]]
    with pytest.raises(ValueError, match="spike budget"):
        over_budget(t, 9, -1)


def test_backward_silences_hidden_layers_only():
    """With ``silence``, the hidden layer's weights fall (its fired neurons are asked to fire
    later) and the output layer's update is that of plain backprop."""
    g = torch.Generator().manual_seed(3)
    T, params = 40, IfParams(5.0, 40)
    weights = [torch.rand(12, 20, generator=g) * 1.5, torch.rand(6, 12, generator=g) * 3]
    times = forward(torch.randint(0, 20, (8, 20), generator=g), weights, params)
    grad = torch.randn(8, 6, generator=g) * 1e-3
    plain, _ = backward(times, weights, grad, params)
    pushed, _ = backward(times, weights, grad, params, silence=2.0)
    assert torch.equal(plain[1], pushed[1])
    assert float(pushed[0].sum()) > float(plain[0].sum())  # a positive gradient: w <- w - lr * grad shrinks


def test_gan_config_refuses_a_negative_silence_or_budget():
    from model.ttfs.gan import GanConfig
    with pytest.raises(ValueError, match="silence"):
        GanConfig(silence=-0.1)
    with pytest.raises(ValueError, match="budget"):
        GanConfig(budget=-1)


def test_initial_weights_span_their_bounds_and_default_to_a_zero_floor():
    from model.ttfs.classify import init_weights
    plain = init_weights((30, 20, 10), (5.0, 2.0), 3)
    g = torch.Generator().manual_seed(3)
    assert torch.equal(plain[0], torch.rand(20, 30, generator=g) * 5.0) and torch.equal(plain[1], torch.rand(10, 20, generator=g) * 2.0)
    signed = init_weights((30, 20, 10), (5.0, 2.0), 3, init_min=(-4.0, 1.0))
    assert -4.0 <= float(signed[0].min()) < -3.5 and 4.5 < float(signed[0].max()) <= 5.0
    assert 1.0 <= float(signed[1].min()) and float(signed[1].max()) <= 2.0


def test_gan_config_draws_g_from_its_signed_bounds_and_refuses_empty_ones():
    from model.ttfs.gan import GanConfig, build
    g = build(GanConfig(g_init_min=(-20.0, 0.0), g_init_max=(30.0, 2.0))).g
    assert -20.0 <= float(g[0].min()) < -19.0 and 29.0 < float(g[0].max()) <= 30.0
    assert float((g[0] < 0).double().mean()) == pytest.approx(0.4, abs=0.01)
    with pytest.raises(ValueError, match="g_init_min"):
        GanConfig(g_init_min=(8.0, 0.0))
    with pytest.raises(ValueError, match="g_init_min"):
        GanConfig(g_init_min=(0.0,))
    with pytest.raises(ValueError, match="g_init_min"):
        GanConfig(g_init_min=(0.0,), g_init_max=(8.0,))


def test_spread_is_zero_for_one_image_and_the_pixels_mean_std_otherwise():
    from model.ttfs.experiments import spread
    assert spread(torch.full((5, 4), 0.3)) == 0.0
    images = torch.tensor([[0.0, 1.0], [1.0, 1.0], [0.0, 1.0], [1.0, 1.0]])
    assert spread(images) == pytest.approx(float(torch.tensor([0.0, 1.0, 0.0, 1.0]).std()) / 2)


def test_lit_times_give_the_share_of_pixels_that_fire_and_their_median_step():
    from model.ttfs.experiments import lit_times
    grey = 155 / 255  # fires at floor(100 * 256 / 255) = 100
    images = torch.tensor([[1.0, 0.0, grey, 0.0], [0.0, 0.0, 0.0, 1.0]])  # steps 0, T, 100, T / T, T, T, 0
    assert lit_times(images, 256) == {"lit": 0.375, "median_lit_step": 0.0}
    assert lit_times(torch.tensor([[grey, grey, 0.0]]), 256) == {"lit": 2 / 3, "median_lit_step": 100.0}
    assert lit_times(torch.zeros(2, 3), 256) == {"lit": 0.0, "median_lit_step": None}


def test_aggressive_targets_eq_6_7():
    T = 100
    t = torch.tensor([[30, 20, 50], [40, 60, 80], [100, 100, 100]])
    tau = aggressive_targets(t, torch.tensor([0, 0, 2]), T)
    assert tau.tolist() == [[20, 100, 100], [40, 100, 100], [100, 100, 0]]


def test_relative_targets_s4nn():
    T, gamma = 100, 3
    t = torch.tensor([[30, 20, 22, 50], [100, 100, 100, 100]])
    tau = relative_targets(t, torch.tensor([0, 1]), T, gamma)
    assert tau.tolist() == [[20, 23, 23, 50], [100, 97, 100, 100]]


@pytest.mark.parametrize("target", ["aggressive", "relative"])
def test_a_batch_update_is_the_sum_of_per_sample_updates_at_the_same_weights(target):
    from model.ttfs.classify import ClassifierConfig, init_weights, train_step
    g = torch.Generator().manual_seed(1)
    cfg = ClassifierConfig(sizes=(30, 12, 4), target=target, timesteps=40, theta=6.0, init_max=(1.0, 4.0), batch=8, l2=0.0)
    start = init_weights(cfg.sizes, cfg.init_max, 0)
    times, labels = torch.randint(0, 41, (8, 30), generator=g), torch.randint(0, 4, (8,), generator=g)
    batched = [w.clone() for w in start]
    train_step(batched, times, labels, cfg)
    summed = [w.clone() for w in start]
    for b in range(8):
        one = [w.clone() for w in start]
        train_step(one, times[b : b + 1], labels[b : b + 1], cfg)
        for s_, o, w in zip(summed, one, start):
            s_ += o - w
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(batched, summed))
    assert not all(torch.equal(a, w) for a, w in zip(batched, start))


def two_classes(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` images of 16 pixels in two classes (bright first or second half) and their labels."""
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 2, (n,), generator=g)
    images = torch.rand(n, 16, generator=g) * 0.3
    images[labels == 0, :8] += 0.7
    images[labels == 1, 8:] += 0.7
    return images, labels


def test_training_lowers_the_loss():
    from model.ttfs.classify import ClassifierConfig, train
    images, labels = two_classes(200)
    cfg = ClassifierConfig(sizes=(16, 12, 2), timesteps=32, theta=4.0, init_max=(1.0, 3.0), lr=0.1, epochs=8, batch=10,
                           validation=0)
    run = train(images, labels, cfg)
    loss = run.history["loss"]
    assert sum(loss[-20:]) / 20 < 0.5 * sum(loss[:20]) / 20


def test_gan_silencing_cuts_the_hidden_spikes_towards_the_budget():
    from model.ttfs.gan import GanConfig, generate_times, train
    images, _ = two_classes(200)
    hidden = {}
    for silence, budget in ((0.0, 0), (1.0, 4)):
        cfg = GanConfig(g_sizes=(8, 24, 16), d_sizes=(16, 12, 2), timesteps=32, theta=6.0, g_init_max=(3.0, 1.0),
                        d_init_max=(2.0, 4.0), updates=150, silence=silence, budget=budget)
        times = generate_times(train(images, cfg), noise_times(100, 8, 32, torch.Generator().manual_seed(5)))
        hidden[silence] = float((times[1] < 32).double().sum(1).mean())
    assert hidden[0.0] > 20 and hidden[1.0] < 8, hidden


def test_training_keeps_the_weights_of_the_best_validation_score():
    from model.ttfs.classify import ClassifierConfig, evaluate, split_validation, train
    images, labels = two_classes(300)
    cfg = ClassifierConfig(sizes=(16, 12, 2), timesteps=32, theta=4.0, init_max=(1.0, 3.0), lr=0.5, epochs=6, batch=10,
                           validation=60, check_every=7)
    run = train(images, labels, cfg)
    checks = run.history["validation"]
    assert len(checks) == 21 and checks[-1][0] == len(run.history["loss"]) == 144  # every 7 updates and the last
    best_update, best = max(checks, key=lambda c: (c[1], -c[0]))
    assert run.history["best_update"] == best_update
    _, held = split_validation(300, cfg)
    assert evaluate(run.weights, images[held], labels[held], cfg)["accuracy"] == best
    train_idx, _ = split_validation(300, cfg)
    assert set(train_idx.tolist()).isdisjoint(held.tolist()) and len(train_idx) == 240
    with pytest.raises(ValueError, match="validation"):
        train(images[:50], labels[:50], cfg)


def test_decisions_score_ties_and_silent_outputs_by_both_rules():
    """Strict: the first output spike decides, the lowest index among ties, a silent output is
    wrong. S4NN's test rule: a tie that includes the label is right, and a silent output falls
    back to the largest final membrane."""
    from model.ttfs.classify import correct, decisions
    T = 10
    hidden = torch.tensor([[0, T], [0, T], [0, T]])
    out = torch.tensor([[5, 5, 9], [T, T, T], [3, 7, T]])
    w_out = torch.tensor([[1.0, 9.0], [2.0, 0.0], [3.0, 0.0]])  # from hidden 0: neuron 2 is the largest
    d = decisions([torch.zeros(3, 1), hidden, out], [None, w_out], T)
    strict, s4nn = correct(d, torch.tensor([1, 2, 1]))
    assert strict.tolist() == [False, False, False]
    assert s4nn.tolist() == [True, True, False]
    strict, s4nn = correct(d, torch.tensor([0, 0, 0]))
    assert strict.tolist() == [True, False, True] and s4nn.tolist() == [True, False, True]


@pytest.mark.parametrize("seed", range(4))
def test_golden_model_equals_float_layer_on_integer_weights(seed):
    from model.snn.config import IntNetwork
    from model.ttfs.golden import run_times, ttfs_config

    g = torch.Generator().manual_seed(seed)
    T = 16
    ws = [torch.randint(-40, 50, (9, 12), generator=g), torch.randint(-30, 80, (5, 9), generator=g)]
    config = ttfs_config((12, 9, 5), T, weight_bits=8, membrane_bits=12, lanes=4)
    net = IntNetwork(config, [w.numpy() for w in ws], [np.zeros(9, np.int64), np.zeros(5, np.int64)], [150, 120])
    x = torch.randint(0, T + 1, (16, 12), generator=g)
    golden = run_times(net, x.numpy())
    t = x
    for l, w in enumerate(ws):  # the float layer takes one threshold: run it per layer
        t = if_layer(t, w.float(), IfParams(float(net.thresholds[l]), T))
        assert np.array_equal(t.numpy(), golden[l + 1]), l
    hidden = golden[1]
    assert (hidden < T).any() and (hidden == T).any()  # not vacuous: some fire, some stay silent


def test_quantise_keeps_weights_in_range_and_scales_threshold():
    from model.ttfs.golden import quantise

    net = quantise([torch.tensor([[2.0, -1.0], [0.5, 0.0]])], theta=4.0, timesteps=8, weight_bits=8)
    assert [w.tolist() for w in net.weights] == [[[127, -64], [32, 0]]]  # 127/2 = 63.5 per unit
    assert net.thresholds == [254]
    assert net.config.membrane_bits == 9 and net.config.reset == "floor" and net.config.coding == "ttfs"


def test_floor_reset_refuses_a_membrane_too_narrow_to_stay_silent():
    from model.common.errors import UserError
    from model.snn.config import IntNetwork
    from model.ttfs.golden import ttfs_config

    config = ttfs_config((4, 1), 8, weight_bits=6, membrane_bits=7, lanes=1)
    with pytest.raises(UserError, match="could fire again"):
        IntNetwork(config, [np.full((1, 4), 31)], [np.zeros(1, np.int64)], [10])  # 124 - 64 >= 10


def test_ttfs_config_needs_its_reset_and_room_for_the_times():
    from model.common.errors import UserError
    from model.snn.config import SnnConfig

    with pytest.raises(UserError, match="TTFS network needs"):
        SnnConfig(neuron="ttfs")
    with pytest.raises(UserError, match="T <= 2"):
        SnnConfig(timesteps=64, input_bits=5, neuron="ttfs", coding="ttfs", reset="floor")


@pytest.mark.slow
def test_cli_writes_the_report_and_a_loadable_export(tmp_path, capsys, png_title):
    import json

    from model.__main__ import main
    from model.snn.export import load

    rc = main(["ttfs", "--dataset", "mnist", "--limit", "200", "--validation", "50", "--epochs", "1", "--gan-updates", "4",
               "--per-digit-updates", "0", "--images", "20", "--vectors", "2", "--lanes", "8", "--no-directed",
               "--gan-init-min", "-20", "0", "--gan-init-max", "30", "2",
               "--export", str(tmp_path / "snn"), "--out", str(tmp_path / "report")])
    assert rc == 0
    report = json.loads((tmp_path / "report" / "ttfs.json").read_text())
    assert [r["model"].split(",")[0] for r in report["classifier"]] == ["TTFS", "TTFS", "TTFS", "ANN (ReLU"]
    s = report["gan"]["spikes"]
    assert s["ann_macs"] == 353_600 and s["gd_neurons"] == 2470 and 0 < s["g_spikes"] <= s["g_neurons"]
    gan = report["gan"]
    assert gan["config"]["g_init_min"] == [-20.0, 0.0] and gan["config"]["g_init_max"] == [30.0, 2.0]
    assert 0 < gan["real_spread"] < 0.5 and all(0 <= gan[k]["spread"] < 0.5 for k in ("ttfs_all", "ann_all"))
    assert 0 < gan["real_timing"]["lit"] < 0.5 and all(0 <= gan[k]["timing"]["lit"] <= 1 for k in ("ttfs_all", "ann_all"))
    assert "initial weights per layer: U[-20, 30], U[0, 2]" in (tmp_path / "report" / "report.md").read_text()
    for f in ("report.md", "samples_ttfs_all.png", "samples_ann_all.png", "classifier.png", "validation.png"):
        assert (tmp_path / "report" / f).stat().st_size > 0
    assert "TTFS GAN, all digits (G 100-400-784, T = 256" in png_title(tmp_path / "report" / "samples_ttfs_all.png")
    assert "on mnist, 4 updates" in png_title(tmp_path / "report" / "samples_ann_all.png")
    assert "784-400-10" in png_title(tmp_path / "report" / "classifier.png")
    assert "mnist: 1 epoch(s)" in png_title(tmp_path / "report" / "validation.png")
    ex = load(tmp_path / "snn" / "manifest.json")
    assert ex.config.neuron == "ttfs" and ex.config.lanes == 8 and len(ex.vectors) == 2 and not len(ex.directed)
    assert "Aggressive TTFS against the S4NN targets" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--images", "5"], ["--gan-updates", "-1"], ["--vectors", "0"], ["--dataset", "cifar"],
                                  ["--validation", "-1"], ["--limit", "100", "--validation", "100"],
                                  ["--gan-silence", "-0.5"], ["--gan-budget", "-1"],
                                  ["--gan-init-min", "10", "0"], ["--gan-init-max", "1"]])
def test_cli_rejects_bad_options(argv, capsys):
    from model.__main__ import main

    try:
        rc = main(["ttfs", *argv])
    except SystemExit as e:  # argparse's own refusal of a bad choice
        rc = e.code
    assert rc == 2
    err = capsys.readouterr().err
    assert err.startswith(("error: ", "usage: ")) and "Traceback" not in err
