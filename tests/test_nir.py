"""NIR import and export, PyTorch MLP import, the peers' rules, and every refusal as a clear message."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import nir
import numpy as np
import pytest
import torch
from torch import nn

from model.interop import imported

from model.interop import nir_export

from model.interop import nir_import

from model.interop import nir_peers

from model.common.errors import UserError
from model.convert.conversion import ann_forward
from model.interop import torch_import
from model.snn.config import IntNetwork, SnnConfig
from model.snn.export import load
from model.snn.golden import encode_noise, encode_spikes, run_network
from spikegan.__main__ import main


def random_net(sizes=(6, 5, 4), leak=None, reset="subtract", seed=0, lanes=2) -> IntNetwork:
    rng = np.random.default_rng(seed)
    c = SnnConfig(sizes=sizes, timesteps=12, weight_bits=6, membrane_bits=16, leak_shift=leak, reset=reset, lanes=lanes)
    w = [rng.integers(-31, 32, (b, a)) for a, b in zip(sizes[:-1], sizes[1:])]
    b = [rng.integers(-5, 20, n) for n in sizes[1:]]
    return IntNetwork(c, w, b, [int(t) for t in rng.integers(20, 60, len(sizes) - 1)])


def graph(*nodes, edges=None, meta=None):
    """A NIR graph of ``nodes`` ((name, node) pairs) chained in order, between an Input and an Output."""
    names = ["input"] + [n for n, _ in nodes] + ["output"]
    first = nodes[0][1]
    width = np.asarray(first.weight).shape[1] if hasattr(first, "weight") else 3
    last = nodes[-1][1]
    out = len(last.v_threshold) if hasattr(last, "v_threshold") else 1
    all_nodes = {"input": nir.Input(input_type=np.array([width])), **dict(nodes),
                 "output": nir.Output(output_type=np.array([out]))}
    return nir.NIRGraph(nodes=all_nodes, edges=edges or list(zip(names, names[1:])), metadata=meta or {},
                        type_check=False)


def affine(n_out, n_in, seed=0):
    rng = np.random.default_rng(seed)
    return nir.Affine(weight=rng.normal(size=(n_out, n_in)), bias=rng.normal(size=n_out) * 0.1)


def if_node(n, theta=1.0, r=1.0, v_reset=0.0):
    return nir.IF(r=np.full(n, r), v_threshold=np.full(n, theta), v_reset=np.full(n, v_reset))


def lif_node(n, tau, r=None, theta=1.0, v_leak=0.0):
    tau = np.broadcast_to(np.asarray(tau, dtype=float), (n,)).copy()
    return nir.LIF(tau=tau, r=tau / 1e-4 if r is None else np.full(n, r), v_leak=np.full(n, v_leak),
                   v_threshold=np.full(n, theta), v_reset=np.zeros(n))


# ------------------------------------------------------------------ round trip


@pytest.mark.parametrize("leak,reset", [(None, "subtract"), (3, "subtract"), (None, "zero"), (3, "zero")])
def test_round_trip_gives_the_identical_network_and_manifest(tmp_path, leak, reset):
    net = random_net(leak=leak, reset=reset)
    path = nir_export.write(net, tmp_path / "net.nir")
    back = imported.from_nir(path)
    assert back.source["exact"] and back.config == net.config and back.net.thresholds == net.thresholds
    for a, b in zip(back.net.weights + back.net.biases, net.weights + net.biases):
        assert np.array_equal(a, b)
    from model.snn.export import export_network

    u = np.random.default_rng(1).random((3, net.config.sizes[0]))
    m1 = json.loads(export_network(net, tmp_path / "a", u).read_text())
    m2 = json.loads(back.export(tmp_path / "b", u).path.read_text())
    m1.pop("extra"), m2.pop("extra")
    assert m1 == m2


def test_exported_graph_states_its_semantics_in_metadata():
    net = random_net(leak=2)
    g = nir_export.to_graph(net, dt=1e-3)
    meta = json.loads(g.metadata["spikegan"])
    assert meta["config"] == net.config.to_dict() and meta["dt"] == 1e-3
    lif = g.nodes["lif1"]
    assert np.allclose(lif.tau, 4e-3) and np.allclose(1e-3 * lif.r / lif.tau, 1.0)  # dt/tau = 2^-k, gain 1
    assert list(g.nodes["lif2"].v_threshold) == [net.thresholds[1]] * net.config.sizes[2]


def test_ttfs_networks_are_not_exported_to_nir():
    net = random_net()
    c = replace(net.config, neuron="ttfs", coding="ttfs", reset="floor", membrane_bits=20)
    with pytest.raises(UserError, match="ttfs network has no NIR neuron"):
        nir_export.to_graph(IntNetwork(c, net.weights, [b * 0 for b in net.biases], net.thresholds))


# ------------------------------------------------------------------ float import


def simulate_nir_if(layers_params, spikes):
    """A direct float simulation of NIR IF layers as docs/nir.md reads them: v += r I, fire at v >= theta_j, subtract."""
    x = spikes
    for w, b, r, theta in layers_params:
        v = np.zeros((x.shape[0], w.shape[0]))
        out = np.zeros((x.shape[0], x.shape[1], w.shape[0]))
        for t in range(x.shape[1]):
            v = v + r * (x[:, t] @ w.T + b)
            fired = v >= theta
            v = v - theta * fired
            out[:, t] = fired
        x = out
    return x.sum(1)


def test_per_neuron_gains_and_thresholds_fold_into_the_weights():
    rng = np.random.default_rng(0)
    w1, w2 = rng.normal(size=(5, 4)), rng.normal(size=(3, 5))
    b1, b2 = rng.normal(size=5) * 0.2, rng.normal(size=3) * 0.2
    r1, th1, r2, th2 = rng.uniform(0.5, 2, 5), rng.uniform(0.5, 2, 5), rng.uniform(0.5, 2, 3), rng.uniform(0.5, 2, 3)
    g = graph(("fc1", nir.Affine(weight=w1, bias=b1)), ("n1", nir.IF(r=r1, v_threshold=th1, v_reset=np.zeros(5))),
              ("fc2", nir.Affine(weight=w2, bias=b2)), ("n2", nir.IF(r=r2, v_threshold=th2, v_reset=np.zeros(3))))
    net = nir_import.from_graph(g, reset="subtract")
    spikes = (rng.random((20, 30, 4)) < 0.5).astype(float)
    want = simulate_nir_if([(w1, b1, r1[:, None][:, 0], th1), (w2, b2, r2, th2)], spikes)
    got = simulate_nir_if([(l.weight, l.bias, 1.0, 1.0) for l in net.layers], spikes)
    assert np.array_equal(want, got) and want.sum() > 0


def test_lif_tau_maps_to_the_nearest_leak_shift_with_its_error():
    g = graph(("fc", affine(3, 4)), ("lif", lif_node(3, tau=1e-4 * 16 * 1.1)))
    net = nir_import.from_graph(g, dt=1e-4, reset="zero")
    layer = net.layers[0]
    assert layer.leak_shift == 4 and layer.leak_error == pytest.approx(abs(1 / 16 - 1 / 17.6) / (1 / 17.6))
    assert np.allclose(layer.weight, g.nodes["fc"].weight)  # gain dt r / tau = 1 for snnTorch's r = tau / dt
    assert any("dt 0.0001 (from the command line)" in n for n in net.notes)


def test_import_quantises_to_the_asked_widths_and_prints_its_choices(tmp_path, capsys):
    g = graph(("fc1", affine(8, 6)), ("n1", if_node(8)), ("fc2", affine(4, 8, 1)), ("n2", if_node(4)))
    nir.write(tmp_path / "g.nir", g)
    assert main(["import", str(tmp_path / "g.nir"), "--timesteps", "8", "--weight-bits", "6", "--lanes", "3",
                 "--vectors", "2", "--out", str(tmp_path / "snn")]) == 0
    out = capsys.readouterr().out
    assert "reset subtract (the default" in out and "exported" in out
    assert load(tmp_path / "snn").config.reset == SnnConfig().reset == "subtract"  # convert's default too
    ex = load(tmp_path / "snn")
    assert ex.config.sizes == (6, 8, 4) and ex.config.weight_bits == 6 and ex.config.timesteps == 8
    assert 16 <= int(np.abs(ex.net.weights[0]).max()) <= 31 and len(ex.vectors) == 2 and len(ex.directed) >= 1


# ------------------------------------------------------------------ refusals


REFUSED = {
    "conv": (lambda: graph(("conv", nir.Conv2d(input_shape=(4, 4), weight=np.ones((2, 1, 3, 3)), stride=1, padding=0,
                                             dilation=1, groups=1, bias=np.zeros(2))), ("n", if_node(2))),
             "'conv' (Conv2d): convolutions are not supported"),
    "cuba": (lambda: graph(("fc", affine(3, 4)), ("cuba", nir.CubaLIF(
        tau_syn=np.ones(3), tau_mem=np.ones(3), r=np.ones(3), v_leak=np.zeros(3), v_threshold=np.ones(3),
        v_reset=np.zeros(3), w_in=np.ones(3)))), "'cuba' (CubaLIF): current-based synapses"),
    "recurrent": (lambda: graph(("fc", affine(3, 4)), ("n", if_node(3)), ("rec", affine(3, 3)),
                                edges=[("input", "fc"), ("fc", "n"), ("n", "rec"), ("rec", "n"), ("n", "output")]),
                  "node 'n' has 2 inputs"),
    "branch": (lambda: graph(("fc", affine(3, 4)), ("n", if_node(3)),
                             edges=[("input", "fc"), ("fc", "n"), ("input", "n"), ("n", "output")]),
               "node 'input' feeds 2 nodes (fc, n): branches are not supported"),
    "two weights": (lambda: graph(("fc1", affine(3, 4)), ("fc2", affine(3, 3)), ("n", if_node(3))),
                    "node 'fc2' follows the weights 'fc1'"),
    "no weights": (lambda: graph(("n", if_node(3))), "neuron node 'n' has no Affine"),
    "ends with weights": (lambda: graph(("fc", affine(3, 4))), "ends with the weights 'fc'"),
    "leaky integrator": (lambda: graph(("fc", affine(3, 4)), ("li", nir.LI(tau=np.ones(3), r=np.ones(3), v_leak=np.zeros(3)))),
                         "'li' (LI): a leaky integrator does not spike"),
    "lif without dt": (lambda: graph(("fc", affine(3, 4)), ("lif", lif_node(3, 1e-3))), "pass --dt"),
    "mixed tau": (lambda: graph(("fc", affine(3, 4)), ("lif", lif_node(3, [1.6e-3, 1.6e-3, 1e-2]))),
                  "maps to leak shifts [4, 7]"),
    "v_leak": (lambda: graph(("fc", affine(3, 4)), ("lif", lif_node(3, 1.6e-3, v_leak=0.5))), "v_leak must be 0"),
    "v_reset": (lambda: graph(("fc", affine(3, 4)), ("n", if_node(3, v_reset=0.3))), "v_reset must be 0 for reset 'zero'"),
    "negative threshold": (lambda: graph(("fc", affine(3, 4)), ("n", if_node(3, theta=-1.0))), "v_threshold must be positive"),
    "if after lif": (lambda: graph(("fc1", affine(3, 4)), ("lif", lif_node(3, 1.6e-3)), ("fc2", affine(2, 3)),
                                   ("n", if_node(2))), "one leak for the whole network"),
    "nested graph": (lambda: graph(("fc", affine(3, 4)), ("sub", nir.NIRGraph(nodes={}, edges=[], type_check=False))),
                     "'sub' (NIRGraph): nested graphs"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_unsupported_constructs_are_refused_by_name(case):
    make, message = REFUSED[case]
    with pytest.raises(UserError, match=re.escape(message)):
        nir_import.from_graph(make(), dt=1e-4 if "dt" not in case else None, reset="zero" if case == "v_reset" else None)


@pytest.mark.parametrize("content", [None, b"not an hdf5 file", b"\x89HDF\r\n\x1a\n" + b"\0" * 64])
def test_a_missing_or_corrupt_nir_file_exits_2_with_a_message(tmp_path, capsys, content):
    path = tmp_path / "bad.nir"
    if content is not None:
        path.write_bytes(content)
    assert main(["import", str(path), "--out", str(tmp_path / "snn")]) == 2
    err = capsys.readouterr().err
    assert ("no NIR file" if content is None else "is not a readable NIR graph") in err and "Traceback" not in err


def test_a_refused_graph_exits_2_through_the_cli(tmp_path, capsys):
    nir.write(tmp_path / "cuba.nir", REFUSED["cuba"][0]())
    assert main(["import", str(tmp_path / "cuba.nir")]) == 2
    assert "CubaLIF" in capsys.readouterr().err


def test_an_unknown_file_kind_and_bad_inputs_are_refused(tmp_path, capsys):
    (tmp_path / "net.onnx").write_bytes(b"x")
    assert main(["import", str(tmp_path / "net.onnx")]) == 2
    assert "unknown kind of file" in capsys.readouterr().err
    nir.write(tmp_path / "g.nir", graph(("fc", affine(3, 4)), ("n", if_node(3))))
    np.save(tmp_path / "x.npy", np.full((2, 4), 2.0))
    assert main(["import", str(tmp_path / "g.nir"), "--inputs", str(tmp_path / "x.npy")]) == 2
    assert "must lie in [0, 1]" in capsys.readouterr().err


# ------------------------------------------------------------------ PyTorch MLPs


def mlp(batchnorm=True, last=None) -> nn.Sequential:
    torch.manual_seed(0)
    mods = [nn.Linear(6, 10)] + ([nn.BatchNorm1d(10)] if batchnorm else []) + [nn.ReLU(), nn.Linear(10, 4)]
    m = nn.Sequential(*(mods + ([last] if last is not None else [])))
    if batchnorm:  # non-trivial running statistics
        m.train()
        m(torch.rand(64, 6) * 3)
    return m.eval().double()


@pytest.mark.parametrize("batchnorm", [True, False])
def test_an_mlp_and_its_state_dict_give_the_module_s_function(tmp_path, batchnorm):
    m = mlp(batchnorm, nn.Hardtanh(0.0, 1.0))
    layers, output = torch_import.module_layers(m)
    u = torch.rand(16, 6, dtype=torch.float64)
    assert output == "image"
    assert torch.allclose(ann_forward(layers, u), m(u), atol=1e-12)
    torch.save(m.state_dict(), tmp_path / "sd.pt")
    layers_sd, output_sd = torch_import.load(tmp_path / "sd.pt")
    assert output_sd == "scores" and all(torch.allclose(a, b) for (a, _), (b, _) in zip(layers, layers_sd))


@pytest.mark.parametrize("bad", [nn.Sigmoid(), nn.Tanh()])
def test_an_mlp_with_an_activation_rate_neurons_lack_is_refused(bad):
    with pytest.raises(UserError, match=f"layer 4 \\({type(bad).__name__}\\) cannot be converted"):
        torch_import.module_layers(mlp(last=bad))


def test_a_torch_classifier_converts_with_its_scores_normalised(tmp_path, capsys):
    m = mlp(last=None)
    torch.save(m, tmp_path / "clf.pt")
    np.save(tmp_path / "x.npy", np.random.default_rng(0).random((300, 6)))
    assert main(["import", str(tmp_path / "clf.pt"), "--inputs", str(tmp_path / "x.npy"), "--timesteps", "32",
                 "--vectors", "3", "--no-directed", "--out", str(tmp_path / "snn")]) == 0
    assert "converted as scores" in capsys.readouterr().out
    ex = load(tmp_path / "snn")
    assert len(ex.vectors) == 3 and not len(ex.directed)
    scales = ex.extra["source"]["activation_scales"]
    assert len(scales) == 3 and scales[-1] != 1.0 and ex.extra["source"]["conversion"]["output"] == "scores"


# ------------------------------------------------------------------ the peers' rules


def test_ours_emulated_equals_the_golden_model():
    for reset in ("subtract", "zero"):
        net = random_net(sizes=(6, 7, 5), reset=reset)
        spikes = encode_spikes(encode_noise(np.random.default_rng(0).random((8, 6)), net.config), net.config)
        emulated = nir_peers.emulate(net, spikes, nir_peers.OURS)
        assert all(np.array_equal(a, b) for a, b in zip(emulated, run_network(net, spikes).counts[1:]))


def integer_case(seed=0):
    net = random_net(sizes=(12, 10, 6), seed=seed)
    spikes = encode_spikes(encode_noise(np.random.default_rng(seed).random((16, 12)), net.config), net.config)
    return net, spikes


def test_sinabs_is_our_network_under_multi_spike_and_a_clipped_membrane(tmp_path):
    net, spikes = integer_case()
    counts = nir_peers.run_sinabs(nir_export.to_graph(net), spikes)
    assert np.array_equal(counts, nir_peers.emulate(net, spikes, nir_peers.SINABS)[-1])
    assert not np.array_equal(counts, run_network(net, spikes).counts[-1])  # the rules do differ here


@pytest.mark.parametrize("leak,reset", [(None, "subtract"), (2, "subtract"), (2, "zero")])
def test_snntorch_is_our_network_under_a_strict_threshold_and_its_reset_order(leak, reset):
    net, spikes = integer_case(1)
    net = IntNetwork(replace(net.config, leak_shift=leak, reset=reset), net.weights, net.biases, net.thresholds)
    counts = nir_peers.run_snntorch(nir_peers.snntorch_layers(net), spikes)
    assert np.array_equal(counts, nir_peers.emulate(net, spikes, nir_peers.SNNTORCH)[-1])
    assert counts.sum() > 0


@pytest.mark.slow
def test_the_nir_command_reports_both_directions(tmp_path, capsys, png_title):
    from model.snn.export import export_network

    net = random_net(sizes=(8, 10, 6))
    gen = export_network(net, tmp_path / "gen", np.random.default_rng(0).random((2, 8)))
    rc = main(["nir", "--train", "600", "--test", "200", "--hidden", "16", "--epochs", "1", "--vectors", "2",
               "--images", "4", "--manifest", str(gen), "--export", str(tmp_path / "clf"), "--out", str(tmp_path / "rep")])
    assert rc == 0
    report = json.loads((tmp_path / "rep" / "nir.json").read_text())
    assert report["generator"]["round_trip"]["identical"]
    for peer in ("sinabs", "snntorch"):
        assert report["generator"]["peers"][peer]["output_vs_emulated"] == 1.0
    assert set(report["classifier"]["accuracy"]) == {"golden", "snntorch", "snntorch_nir_import"}
    assert (tmp_path / "rep" / "nir.png").is_file() and (tmp_path / "rep" / "report.md").is_file()
    assert "classifier 784-16-10" in png_title(tmp_path / "rep" / "nir.png")
    assert "generator 8-10-6" in png_title(tmp_path / "rep" / "nir.png")
    assert len(load(tmp_path / "clf").vectors) == 2 and "NIR in and out" in capsys.readouterr().out


@pytest.mark.parametrize("reset", ["zero", "subtract"])
def test_snntorch_s_importer_loads_our_lif_export_and_reads_it_with_reset_to_zero(reset):
    net, spikes = integer_case(1)
    net = IntNetwork(replace(net.config, leak_shift=2, reset=reset), net.weights, net.biases, net.thresholds)
    counts = nir_peers.run_snntorch(nir_peers.import_snntorch(nir_export.to_graph(net)), spikes)
    as_read = IntNetwork(replace(net.config, reset="zero"), net.weights, net.biases, net.thresholds)
    assert np.array_equal(counts, nir_peers.emulate(as_read, spikes, nir_peers.SNNTORCH)[-1]) and counts.sum() > 0


def test_snntorch_s_importer_cannot_run_an_if_graph():
    net, spikes = integer_case(0)
    with pytest.raises(TypeError, match="must be Tensor, not tuple"):
        nir_peers.run_snntorch(nir_peers.import_snntorch(nir_export.to_graph(net)), spikes)
