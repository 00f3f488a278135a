"""The methods a trial combines (L1), one module each, imported by name:

- ``augment``: learnable augmentation over a candidate group (Augerino; SEMoLA for
  ``learned<k>``): widths, priors, discrete logits, the penalties;
- ``learned_spans``: a learned basis read against the true algebra (rank, angles, closure);
- ``learned_start``: where a learned basis starts (the directions along which the training
  data spread most);
- ``symmetrize``: tasks, losses and scores, group averaging within an approximation tolerance;
- ``sympe``: symmetry breaking by a canonicalizing element (SymPE).

The data test of a generator, the other method a trial reads, is ``pipeline.discovery``.
"""
