"""The public Python API: ``stylize``, ``translate``, ``load_model``, ``train``, ``evaluate``.

One module per verb; this package only re-exports them.
"""
