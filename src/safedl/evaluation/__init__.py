"""Metrics as pure functions (rates with 95% intervals, ROC), no attacks run here."""
