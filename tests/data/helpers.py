"""Nearest-neighbour accuracy as a probe of distributional symmetry.

If a dataset is symmetric under g, the test set moved by g is another sample of the same
distribution, so a classifier fitted on the training split scores the same on it. If the data
lack the symmetry, moving the test set off the training distribution makes the score collapse.
"""

from collections.abc import Callable

import torch

from pipeline.data import Split


def nearest_neighbour_accuracy(
    train: Split,
    labels: torch.Tensor,
    features: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> Callable[[torch.Tensor], torch.Tensor]:
    """f(inputs) = 1-NN accuracy on ``inputs`` against ``labels`` (a scalar tensor)."""
    embed = features or (lambda x: x.flatten(1))
    reference = embed(train.inputs.double())

    def accuracy(inputs: torch.Tensor) -> torch.Tensor:
        nearest = torch.cdist(embed(inputs.double()), reference).argmin(dim=1)
        return (train.targets[nearest] == labels).double().mean()

    return accuracy


def occupancy(points: torch.Tensor, bins: int = 10, extent: float = 1.3) -> torch.Tensor:
    """Soft histogram of point positions: blind to point order, sensitive to orientation."""
    dims = points.shape[-1]
    centres = torch.linspace(-extent, extent, bins, dtype=points.dtype)
    grids = torch.stack(torch.meshgrid(*([centres] * dims), indexing="ij"), dim=-1).reshape(
        -1, dims
    )
    width = 2 * extent / bins
    weights = torch.exp(
        -(torch.cdist(points, grids[None].expand(len(points), -1, -1)) ** 2) / width**2
    )
    return weights.mean(dim=1)
