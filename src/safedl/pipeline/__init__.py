"""The run: stages over a profile, the run record, the artifact store and resume.

Import from the submodules (``safedl.pipeline.run``, ``.record``, ``.store``); this package
imports nothing itself so that lower layers (training) can use the store without cycles.
"""
