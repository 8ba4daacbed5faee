"""The engines that run a JobPlan: beam/ (any Beam runner) and spark/ (pyspark)."""
