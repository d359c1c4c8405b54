# warm-window: the bench's window warm method: the same method as
# warm-static.profile, held only while the agent steps (and a window after),
# under the token budget (window keys at their defaults).
[main]
summary = bench: window warm method (auto)

[pmqos]
mode = window
method = auto
resume_latency_us = n/a
