# warm-static: the bench's static warm method (tests/bench/README.md, warm):
# the agent CPUs kept warm all the time the profile is applied, by the method
# `auto` picks for this host (qos where idle states have an exit latency the
# constraint avoids, poll threads where there are none).  A build without the
# method key runs it without that line (today's PM QoS constraint).
[main]
summary = bench: static warm method (auto)

[pmqos]
mode = static
method = auto
resume_latency_us = n/a
