"""A user's network whose training can be slowed from outside: while the file named by the
``pace_file`` option exists, each training forward sleeps ``pace_seconds``. The Ctrl-C test
copies it beside its search space and paces the last trial, so the signal lands while that
trial still has epochs to run however late a loaded machine delivers it."""

import math
import os
import time

import torch


class PacedNet(torch.nn.Module):
    def __init__(self, in_features: int, out_features: int, pace_file: str, pace: float) -> None:
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Flatten(),
            torch.nn.Linear(in_features, 16),
            torch.nn.ReLU(),
            torch.nn.Linear(16, out_features),
        )
        self.pace_file, self.pace = pace_file, pace

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and os.path.exists(self.pace_file):
            time.sleep(self.pace)
        return self.body(x)


def paced_net(data, options: dict) -> torch.nn.Module:
    """model: {factory: "paced_net:paced_net", pace_file: PATH, pace_seconds: S}."""
    out = data.out_features if data.out_shape is None else math.prod(data.out_shape)
    pace = float(options.get("pace_seconds", 0.1))
    return PacedNet(math.prod(data.in_shape), out, str(options["pace_file"]), pace)
