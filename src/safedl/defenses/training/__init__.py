"""Training defenses: a defended model trained with a different loss on the baseline's recipe.

``pgd_at`` (Madry et al., 2018), ``trades`` (Zhang et al., 2019), ``fast_at`` (Wong et al.,
2020, with a guard against catastrophic overfitting) and ``randomized_smoothing`` (Cohen et
al., 2019: Gaussian-noise training and a certified smoothed classifier). Each is a plugin
registered through the ``safedl.defenses`` entry points; they share
:class:`~safedl.defenses.training.base.TrainingDefense`, which trains through the one training
loop and stores the result by content key.
"""
