"""A survey's life: purchase events in, eligibility, timing, the engine, answers, timers, links."""
