"""The corpus job on Spark: Stages per partition, the dedups as reduceByKey/groupByKey."""
