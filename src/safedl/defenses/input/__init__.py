"""Input defenses: a transformation of the [0, 1] image in front of the baseline's network.

``jpeg`` (compression), ``bit_depth_reduction`` (quantisation) and ``median`` (median
smoothing). Each is a plugin registered through the ``safedl.defenses`` entry points; they share
:class:`~safedl.defenses.input.base.InputDefense`, which builds the defended model and its BPDA
model (forward: the transformation; backward: a differentiable approximation).
"""
