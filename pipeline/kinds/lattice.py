"""Lattices (B, L, L) or (B, C, L, L) of values on the sites of a periodic square grid (spins):
plane groups move the sites (whole-site translations, the grid's rotations and mirrors), the
sign group flips the values."""

from pipeline.kinds._record import KindRecord

RECORD = KindRecord(
    name="lattice",
    layout="(B, L, L) or (B, C, L, L)",
    actions={"plane": "pipeline.actions:move_sites", "sign": "pipeline.actions:flip_spins"},
    model_options="pipeline.models:LatticeConfig",
    backbone="pipeline.models:lattice_backbone",
    reader_trunk="pipeline.discovery:lattice_trunk",
    grid_dims=2,
    channels_optional=True,
    whole_sites=True,
    sympe=True,
    basis_start="data",
    description="periodic lattices: plane groups move whole sites, sign flips flip the spins",
)
