"""The Mastodon-compatible client API and townsquare's own extensions (/api/v1/townsquare/...)."""
