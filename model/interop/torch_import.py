"""A plain PyTorch MLP (``nn.Sequential`` of Linear / BatchNorm1d / ReLU) as affine layers for the converter.

The module, or its state dict, becomes the list of ``(W, b)`` that
`model.convert.conversion.convert` takes, with each BatchNorm1d (in eval mode: running
statistics) folded into the Linear before it:
``W' = W gamma / sqrt(var + eps)``, ``b' = (b - mean) gamma / sqrt(var + eps) + beta``.
A state dict does not name its activations, so its Linear layers are taken as
separated by ReLU. A module's last layer may end in ``Hardtanh(0, 1)`` (an image
in [0, 1]: ``output="image"``) or in nothing (scores, e.g. a classifier's logits).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from model.common.errors import UserError

SKIPPED = (nn.Identity, nn.Dropout, nn.Flatten)


def fold_batchnorm(w: torch.Tensor, b: torch.Tensor, bn: nn.BatchNorm1d) -> tuple[torch.Tensor, torch.Tensor]:
    """The Linear ``(w, b)`` followed by ``bn`` (eval mode) as one affine layer."""
    gamma = bn.weight.detach() if bn.affine else torch.ones_like(bn.running_var)
    beta = bn.bias.detach() if bn.affine else torch.zeros_like(bn.running_mean)
    scale = gamma / torch.sqrt(bn.running_var + bn.eps)
    return w * scale[:, None], (b - bn.running_mean) * scale + beta


def _is_image_clamp(m: nn.Module) -> bool:
    return isinstance(m, nn.Hardtanh) and m.min_val == 0.0 and m.max_val == 1.0


def module_layers(module: nn.Module) -> tuple[list[tuple[torch.Tensor, torch.Tensor]], str]:
    """The affine layers of a Sequential MLP and its output kind, ``"image"`` or ``"scores"``."""
    if not isinstance(module, nn.Sequential):
        raise UserError(f"expected a torch.nn.Sequential of Linear / BatchNorm1d / ReLU, got {type(module).__name__}")
    layers, output, after_relu = [], "scores", True
    items = [m for m in module if not isinstance(m, SKIPPED)]
    for i, m in enumerate(items):
        last = i == len(items) - 1
        if isinstance(m, nn.Linear):
            if not after_relu:
                raise UserError(f"layer {i} ({m}): two Linear layers with no ReLU between them; multiply them into one")
            b = m.bias.detach() if m.bias is not None else torch.zeros(m.out_features)
            layers.append((m.weight.detach().double(), b.double()))
            after_relu = False
        elif isinstance(m, nn.BatchNorm1d) and layers and not after_relu:
            layers[-1] = fold_batchnorm(*layers[-1], m.double())
        elif isinstance(m, nn.ReLU) and layers and not after_relu and not last:
            after_relu = True
        elif last and layers and _is_image_clamp(m):
            output = "image"
        else:
            raise UserError(
                f"layer {i} ({type(m).__name__}) cannot be converted: the MLP must be Linear [BatchNorm1d] ReLU ... "
                "Linear, optionally ending in Hardtanh(0, 1) (an image in [0, 1]); rate neurons have no sigmoid, "
                "tanh or negative outputs"
            )
    if not layers:
        raise UserError("the module has no Linear layer")
    return layers, output


def state_dict_layers(state: dict) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The affine layers of a Sequential MLP's state dict (keys ``<i>.weight``, ``<i>.bias``, BatchNorm's
    ``running_mean`` / ``running_var``), its Linear layers separated by ReLU."""
    groups: dict[str, dict] = {}
    for key, value in state.items():
        prefix, _, name = str(key).rpartition(".")
        if not isinstance(value, torch.Tensor):
            raise UserError(f"state dict entry {key!r} is not a tensor")
        groups.setdefault(prefix, {})[name] = value
    try:
        order = sorted(groups, key=lambda p: int(p.rpartition(".")[2] or 0))
    except ValueError:
        raise UserError(f"state dict keys {sorted(state)[:4]}... are not those of an nn.Sequential (<index>.weight)") from None
    module = []
    for p in order:
        g = groups[p]
        if "running_mean" in g:
            bn = nn.BatchNorm1d(len(g["running_mean"]), affine="weight" in g)
            bn.load_state_dict(g, strict=False)
            module.append(bn.eval())
        elif "weight" in g and g["weight"].dim() == 2:
            if module:
                module.append(nn.ReLU())
            lin = nn.Linear(g["weight"].shape[1], g["weight"].shape[0], bias="bias" in g)
            lin.load_state_dict(g)
            module.append(lin)
        else:
            raise UserError(f"state dict entries {p}.{sorted(g)} are neither a Linear nor a BatchNorm1d")
    return module_layers(nn.Sequential(*module))[0]


def load(path) -> tuple[list[tuple[torch.Tensor, torch.Tensor]], str]:
    """The layers and output kind of a saved MLP: a state dict (output "scores") or a whole module.

    A whole module is a pickle, which can run code when loaded: only load files you trust.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"no PyTorch file at {path}; save the MLP with torch.save(model.state_dict(), path)")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        try:
            obj = torch.load(path, map_location="cpu", weights_only=False)
        except (ImportError, AttributeError) as e:  # a pickled module whose class is not importable here
            raise UserError(f"{path} pickles a module whose code is not importable here ({e}); save its state dict "
                            "instead: torch.save(model.state_dict(), path)") from None
        except Exception:  # text, random bytes, a truncated file: the unpickler's words say nothing useful
            raise UserError(f"{path} is not a file torch.save wrote; save the MLP with "
                            "torch.save(model.state_dict(), path)") from None
    if isinstance(obj, nn.Module):
        return module_layers(obj)
    if isinstance(obj, dict):
        return state_dict_layers(obj), "scores"
    raise UserError(f"{path} holds a {type(obj).__name__}; expected an nn.Sequential or its state dict")
