"""The open algorithm: candidate sources, features, weights, adjustments and explanations.

Everything that decides what a For you or custom feed shows is here, as pure functions over
data, with every parameter read from weights.toml. See docs/algorithm.md.
"""
