"""symsearch: distributed hyperparameter and symmetry search.

The import package is ``pipeline``; the distribution and command are ``symsearch``. Importing this
package stays cheap (no torch, ray or dask) so that the command line starts fast.
"""

__version__ = "0.1.0"
