"""Point sets (B, n, k): plane (k = 2) and space (k = 3) groups multiply the coordinates,
permutation groups reorder the points."""

from pipeline.kinds._record import KindRecord

RECORD = KindRecord(
    name="points",
    layout="(B, n, k)",
    actions={
        "plane": "pipeline.actions:transform_points",
        "space": "pipeline.actions:transform_points",
        "perm": "pipeline.actions:permute_points",
    },
    model_options="pipeline.models:PointsConfig",
    backbone="pipeline.models:points_backbone",
    reader_trunk="pipeline.discovery:points_trunk",
    coordinates=True,
    basis_start="random",
    description="point sets: matrices move the coordinates, permutations reorder the points",
)
