"""Sequences (B, C, N): cyclic shifts (circle groups, Fourier shifts between positions) and
sign flips."""

from pipeline.kinds._record import KindRecord

RECORD = KindRecord(
    name="sequence",
    layout="(B, C, N)",
    actions={
        "circle": "pipeline.actions:shift_sequence",
        "sign": "pipeline.actions:negate_sequence",
    },
    model_options="pipeline.models:SequenceConfig",
    backbone="pipeline.models:sequence_backbone",
    reader_trunk="pipeline.discovery:sequence_trunk",
    grid_dims=1,
    sympe=True,
    description="sequences: cyclic shifts move the positions, sign flips negate the values",
)
