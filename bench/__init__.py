"""`make bench`: throughput, latency and scale against their ceilings (issue #9)."""
