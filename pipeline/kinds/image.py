"""Images (B, C, H, W): plane groups warp them (an affine grid and ``grid_sample``), the sign
group negates them."""

from pipeline.kinds._record import KindRecord

RECORD = KindRecord(
    name="image",
    layout="(B, C, H, W)",
    actions={"plane": "pipeline.actions:warp_image", "sign": "pipeline.actions:negate_image"},
    model_options="pipeline.models:ImageConfig",
    backbone="pipeline.models:image_backbone",
    reader_trunk="pipeline.discovery:image_trunk",
    grid_dims=2,
    interpolated=True,
    translation_in_sides=True,
    sympe=True,
    basis_start="data",
    description="images: plane groups warp them, sign flips negate them",
)
