"""Domain-free helpers: time, durations, pagination, the state-machine kit."""
