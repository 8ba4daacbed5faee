"""Statistics of a run: _stats.json, the funnel, the dataset card and its plots."""
