"""Repair defenses: change a trained (possibly backdoored) model with a small clean set.

``fine_tuning``, ``fine_pruning`` (Liu et al. 2018) and ``neural_cleanse`` (Wang et al. 2019:
reverse-engineered triggers, MAD outlier test, unlearning); they share
:class:`~safedl.defenses.repair.base.RepairDefense`.
"""
