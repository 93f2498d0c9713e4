"""Pure computation: statistics, KPIs, driver analysis, benchmarks. Imports nothing from Django."""
