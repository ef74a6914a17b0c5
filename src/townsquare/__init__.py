"""townsquare: an open-source public square speaking the Mastodon client API."""

__version__ = "0.1.0"
