"""Attack plugins by family. Importing this package registers nothing by itself: the registry
imports built-in plugins on first lookup."""
