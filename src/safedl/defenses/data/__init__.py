"""Data defenses: filter the training set before training.

``spectral_signatures`` (Tran et al. 2018), ``activation_clustering`` (Chen et al. 2018) and
``knn_label_filter`` (Peri et al. 2020, deep k-NN) flag training samples from the
penultimate-layer features of the model trained on them; the kept samples are retrained with
the baseline's settings (:class:`~safedl.defenses.data.base.DataFilter`).
"""
