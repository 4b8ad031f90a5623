"""Defenses by where they act: training, data, input, output, repair, detector.

Each is a registered plugin (:data:`safedl.registry.DEFENSES`) deriving from
:class:`~safedl.defenses.base.Defense`; its output, a
:class:`~safedl.defenses.base.DefendedModel`, is re-attacked by the re-evaluation.
"""
