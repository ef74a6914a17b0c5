"""THE write path. Every state change is one function here, running in one transaction,
enqueueing its follow-up jobs after commit. Handlers never write SQL."""
