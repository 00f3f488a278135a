"""The batched members' networks as persistent stacks: one leaf tensor per parameter with a
leading member dimension, its gradient and Adam state stacked the same way, and one Adam step
for all members at once.

Each member's own parameters, gradients and Adam state (``exp_avg``, ``exp_avg_sq``, ``step``)
are views of row i of those stacks, so everything that reads a member alone (validation,
evaluation, its checkpoint, ``optimizer.state_dict()``) sees its current values with no copy.
A member that leaves gets compact copies of its rows (``release``) and the stacks are rebuilt
from the members that remain (``pack``): a departure is rare, a step is not.

The step is ``torch.optim.Adam``'s arithmetic (no amsgrad, no maximize) with each member's
learning rate and weight decay as a ``[K, 1, ...]`` factor and its own step count, so a member
matches its lone run up to float rounding.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

import torch
from torch import nn
from torch.func import functional_call, vmap

NETWORK_GROUP = 0  # the optimizer's group of the network's parameters (make_optimizer)
Factors = tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]  # step size, scale, decay


def core(model: nn.Module) -> nn.Module:
    """The part of a network that is stacked: a SymPE network's backbone, else all of it."""
    return model.backbone if hasattr(model, "backbone_inputs") else model


class StackedNetworks:
    """The stacked network parameters of the members now packed, in pack order."""

    def __init__(self) -> None:
        self.members: list[Any] = []  # objects with .setup.model and .optimizer
        self.params: dict[str, torch.Tensor] = {}
        self.state: dict[str, dict[str, torch.Tensor]] = {}
        self._ids: set[int] = set()
        self._factors: dict[tuple, Factors] = {}

    def keep(self, members: Sequence[Any]) -> None:
        """Release the packed members not in ``members``, then stack ``members``."""
        staying = {id(m) for m in members}
        for member in self.members:
            if id(member) not in staying:
                self.release(member)
        self.pack(members)

    def packs(self, members: Sequence[Any]) -> bool:
        """Whether exactly ``members`` are packed, in this order."""
        return [id(m) for m in members] == [id(m) for m in self.members]

    def parameter_ids(self) -> set[int]:
        """``id`` of every member parameter that is a view of a stack."""
        return self._ids

    def pack(self, members: Sequence[Any]) -> None:
        """Stack the members' current parameters and Adam state; their own become views."""
        self.members = list(members)
        self.params, self.state, self._ids = {}, {}, set()
        if not members:
            return
        named = [dict(core(m.setup.model).named_parameters()) for m in members]
        trained = [name for name, p in named[0].items() if p.requires_grad]  # frozen: as alone
        with torch.no_grad():
            for name in trained:
                ones = [n[name] for n in named]
                stacked = torch.stack([p.detach() for p in ones]).requires_grad_()
                stacked.grad = torch.zeros_like(stacked)
                self.params[name] = stacked
                states = [m.optimizer.state.get(p, {}) for m, p in zip(members, ones, strict=True)]
                self.state[name] = _stacked_state(states, stacked)
                for i, (member, parameter) in enumerate(zip(members, ones, strict=True)):
                    parameter.data = stacked.detach()[i]
                    parameter.grad = stacked.grad[i]
                    self._ids.add(id(parameter))
                    member.optimizer.state[parameter] = {
                        key: value[i] for key, value in self.state[name].items()
                    }

    def release(self, member: Any) -> None:
        """Give a leaving member compact copies of its rows: later steps leave it as it is."""
        for parameter in core(member.setup.model).parameters():
            if id(parameter) not in self._ids:
                continue
            self._ids.discard(id(parameter))  # released once: a later keep() skips it
            parameter.data = parameter.data.clone()
            parameter.grad = None
            own = member.optimizer.state.get(parameter)
            if own:
                member.optimizer.state[parameter] = {k: v.clone() for k, v in own.items()}

    def zero_grad(self) -> None:
        for stacked in self.params.values():
            stacked.grad.zero_()

    @torch.no_grad()
    def adam_step(self, rows: list[int] | None = None) -> None:
        """One Adam step of the packed members (``rows``: only these, in pack order)."""
        if not self.params:
            return
        groups = [m.optimizer.param_groups[NETWORK_GROUP] for m in self.members]
        beta1, beta2 = groups[0]["betas"]
        eps = groups[0]["eps"]
        lr = torch.tensor([g["lr"] for g in groups], dtype=torch.float64)
        decay = torch.tensor([g["weight_decay"] for g in groups], dtype=torch.float64)
        index = None if rows is None else torch.tensor(rows, dtype=torch.long)
        if index is not None:
            lr, decay = lr[index], decay[index]
        self._factors = {}
        for name, stacked in self.params.items():
            state = self.state[name]
            steps = state["step"] if index is None else state["step"][index]
            steps += 1
            if index is not None:
                state["step"][index] = steps
            factors = self._bias(steps, lr, decay, (beta1, beta2), stacked)
            parts = (stacked.detach(), stacked.grad, state["exp_avg"], state["exp_avg_sq"])
            if index is None:
                _adam(*parts, factors, (beta1, beta2, eps))
                continue
            device_index = index.to(stacked.device)
            picked = [t.index_select(0, device_index) for t in parts]
            _adam(*picked, factors, (beta1, beta2, eps))
            for whole, part in zip(parts, picked, strict=True):
                whole.index_copy_(0, device_index, part)

    def _bias(
        self,
        steps: torch.Tensor,
        lr: torch.Tensor,
        decay: torch.Tensor,
        betas: tuple[float, float],
        like: torch.Tensor,
    ) -> Factors:
        """(lr / (1 - beta1^t), sqrt(1 - beta2^t), weight decay or None where all are 0) per
        member, in float64 as Adam's Python floats, then as ``like``'s dtype and device (once
        per distinct step vector and step: one transfer, not one per parameter)."""
        key = (tuple(steps.tolist()), like.dtype, like.device)
        if key not in self._factors:
            t = steps.to(torch.float64)
            size = lr / (1 - torch.pow(betas[0], t))
            scale = (1 - torch.pow(betas[1], t)).sqrt()
            decays = decay.to(like) if bool((decay != 0).any()) else None
            self._factors[key] = (size.to(like), scale.to(like), decays)
        return self._factors[key]


def _stacked_state(states: list[dict], like: torch.Tensor) -> dict[str, torch.Tensor]:
    """Adam's state of one parameter across members (a member without one yet: Adam's start,
    zero moments and step 0)."""
    shape = like.shape[1:]
    found = {"step": [], "exp_avg": [], "exp_avg_sq": []}
    for state in states:
        if state and set(state) - set(found):
            raise ValueError(f"batched Adam: unsupported optimizer state {sorted(state)}")
        zero = torch.zeros(shape, dtype=like.dtype, device=like.device)
        found["step"].append(state.get("step", torch.tensor(0.0)).detach().float().cpu())
        found["exp_avg"].append(state.get("exp_avg", zero).detach())
        found["exp_avg_sq"].append(state.get("exp_avg_sq", zero).detach())
    return {key: torch.stack(values) for key, values in found.items()}


def _adam(
    param: torch.Tensor,
    grad: torch.Tensor,
    exp_avg: torch.Tensor,
    exp_avg_sq: torch.Tensor,
    factors: Factors,
    hyper: tuple[float, float, float],
) -> None:
    """torch.optim.Adam's single-tensor update, each member (dim 0) with its own factors."""
    (beta1, beta2, eps), (size, scale, decay) = hyper, factors
    shape = (-1,) + (1,) * (param.dim() - 1)
    if decay is not None:
        grad = grad + param * decay.view(shape)
    exp_avg.lerp_(grad, 1 - beta1)
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    denom = (exp_avg_sq.sqrt() / scale.view(shape)).add_(eps)
    param.sub_(exp_avg / denom * size.view(shape))


@contextmanager
def unstacked_only(optimizer: torch.optim.Optimizer, stacked: set[int]) -> Iterator[None]:
    """The optimizer sees only the network parameters that are not stacked (a SymPE network's
    reference field) while it steps: the batched step has done the others."""
    group = optimizer.param_groups[NETWORK_GROUP]
    kept = group["params"]
    group["params"] = [p for p in kept if id(p) not in stacked]
    try:
        yield
    finally:
        group["params"] = kept


class BatchedForward:
    """The packed members' networks as one vectorized function of their stacked parameters.

    A SymPE network contributes its backbone: its encoding (a draw from its own generator)
    is computed per member first."""

    def __init__(self, model: nn.Module, compile: bool, amp: bool) -> None:
        template = copy.deepcopy(core(model)).to("meta")
        device = next(model.parameters()).device
        self.amp = amp and device.type == "cuda"

        def one(params: dict, buffers: dict, x: torch.Tensor) -> torch.Tensor:
            return functional_call(template, (params, buffers), (x,))

        self.template = template
        self.function = vmap(one, randomness="different")  # dropout: each member its own mask
        if compile:
            self.function = torch.compile(self.function, dynamic=False)

    def __call__(
        self, stacks: StackedNetworks, rows: list[int], inputs: list[torch.Tensor]
    ) -> torch.Tensor:
        """(members, batch, ...) outputs of the members at ``rows`` (pack order), each on its
        own batch."""
        models = [stacks.members[i].setup.model for i in rows]
        prepared = []
        for model, x in zip(models, inputs, strict=True):
            prepare = getattr(model, "backbone_inputs", None)
            prepared.append(prepare(x) if prepare is not None else x)
        params = stacks.params
        if len(rows) < len(stacks.members):
            index = torch.tensor(rows, device=next(iter(params.values())).device)
            params = {name: p.index_select(0, index) for name, p in params.items()}
        cores = [core(m) for m in models]
        frozen = [name for name, _ in cores[0].named_parameters() if name not in params]
        params = {**params, **_stacked_tensors(cores, frozen, nn.Module.named_parameters)}
        names = [name for name, _ in cores[0].named_buffers()]
        buffers = _stacked_tensors(cores, names, nn.Module.named_buffers)
        self.template.train(models[0].training)
        autocast = torch.autocast("cuda", torch.bfloat16) if self.amp else nullcontext()
        with autocast:
            out = self.function(params, buffers, torch.stack(prepared))
        return out.float()


def _stacked_tensors(cores: list[nn.Module], names: list[str], named: Any) -> dict:
    """The named tensors (``named``: named_parameters or named_buffers) that the stacks do not
    hold, stacked for one call (frozen parameters, buffers: constants of training)."""
    found = [dict(named(c)) for c in cores] if names else []
    return {name: torch.stack([f[name].detach() for f in found]) for name in names}


class EachForward:
    """Each member's own network on its own batch, one after another: on a CPU this beats the
    vectorized pass (its K-times larger activations leave the caches; measured in
    ``bench/trial_batching.py``), and the members' parameters are views of the stacks either
    way, so their gradients land in the stacked ones."""

    def __init__(self, model: nn.Module, amp: bool) -> None:
        self.amp = amp and next(model.parameters()).device.type == "cuda"

    def one(self, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        if not self.amp:
            return model(x)
        with torch.autocast("cuda", torch.bfloat16):
            return model(x).float()
