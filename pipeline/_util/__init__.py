"""Small helpers every layer may use (L0): plain-text tables (``text``), YAML read within limits
(``safe_yaml``), users' ``module:function`` factories and the trust boundary around them
(``factories``), and where a result came from (``provenance``).

Private to ``pipeline``; each module is imported by its own name and none imports torch, ray or
dask at module level.
"""
