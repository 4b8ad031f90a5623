"""Reports rendered from the run record alone: Markdown, self-contained HTML, plots."""
