"""Trial overhead: one trial through ``run_trial`` against a bare PyTorch loop doing the same work.

Both build the same dataset and model (same seed), train with the same Adam settings on the same
batches for the same epochs, measure the validation accuracy after every epoch and the test
accuracy at the end. The candidate group is ``trivial`` and robustness grids are off, so what
``run_trial`` adds is its own machinery: configuration, the (identity) augmentation, per-epoch
readouts and rows, and after training the equivariance and discovery read-outs, which the bare
loop does not compute. Runs alternate, 3 each; prints medians and two ratios:

- training_overhead_ratio: run_trial's own training time (``train_seconds``: the epochs with
  their validation) over the bare loop's wall time: the same training steps (target <= 1.05);
- trial_overhead_ratio: the whole run_trial over the bare loop, read-outs included.
"""

from __future__ import annotations

import statistics

import torch
from _timing import interleaved_medians

from pipeline.data import build_dataset
from pipeline.models import build_model
from pipeline.space import make_config
from pipeline.trial import run_trial

CONFIG = {
    "dataset": {"name": "digits", "transform": "SO2", "limit": 1200},
    "candidate_group": "trivial",
    "epochs": 10,
    "robustness": "none",
    "seed": 0,
}
ROUNDS = 3


def accuracy(model: torch.nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    model.eval()
    with torch.no_grad():
        return (model(inputs).argmax(dim=1) == targets).float().mean().item()


def bare_loop() -> float:
    """The same training as the trial, written directly; returns the test accuracy."""
    config = make_config(CONFIG)
    data = build_dataset(config.dataset, config.data_seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model = build_model(
            data.kind,
            data.task,
            tuple(data.train.inputs.shape[1:]),
            data.num_classes,
            None,
            config.model,
        )
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    rng = torch.Generator().manual_seed(config.seed)
    inputs, targets = data.train.inputs, data.train.targets
    for _ in range(config.epochs):
        model.train()
        order = torch.randperm(len(inputs), generator=rng)
        for start in range(0, len(inputs), config.batch_size):
            index = order[start : start + config.batch_size]
            loss = torch.nn.functional.cross_entropy(model(inputs[index]), targets[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        accuracy(model, data.val.inputs, data.val.targets)
    return accuracy(model, data.test.inputs, data.test.targets)


def main() -> None:
    run_trial(CONFIG)  # warm-up: imports, allocator, the dataset's first build
    trial, bare, results = interleaved_medians(lambda: run_trial(CONFIG), bare_loop, ROUNDS)
    train = statistics.median(r.trial["train_seconds"] for r in results)
    print(f"run_trial_seconds: {trial:.3f}")
    print(f"run_trial_training_seconds: {train:.3f}")
    print(f"bare_loop_seconds: {bare:.3f}")
    print(f"training_overhead_ratio: {train / bare:.3f} (target <= 1.05)")
    print(f"trial_overhead_ratio: {trial / bare:.3f} (read-outs included)")


if __name__ == "__main__":
    main()
