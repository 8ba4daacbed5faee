"""The corpus job on Apache Beam: Stages as DoFns, the dedups as CombinePerKey/CoGroupByKey."""
