"""Detector defenses: flag inputs or clients in front of the model.

``prada`` (Juuti et al. 2019) flags clients whose successive queries are spaced unlike
natural data (synthetic-query extraction); it is blind to natural-image extraction.
"""
