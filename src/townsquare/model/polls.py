"""Poll rules, as on the big networks: 2..N options of up to M characters, open 5 min..31 days."""

from __future__ import annotations

from dataclasses import dataclass


class PollError(ValueError):
    pass


@dataclass(frozen=True)
class PollLimits:
    max_options: int = 4
    max_option_chars: int = 50
    min_expiration: int = 300
    max_expiration: int = 31 * 24 * 3600


def validate(options: list[str], expires_in: int, limits: PollLimits) -> list[str]:
    cleaned = [o.strip() for o in options]
    if len(cleaned) < 2:
        raise PollError("A poll needs at least 2 options")
    if len(cleaned) > limits.max_options:
        raise PollError(f"A poll can have at most {limits.max_options} options")
    if any(not o for o in cleaned):
        raise PollError("Poll options cannot be empty")
    if any(len(o) > limits.max_option_chars for o in cleaned):
        raise PollError(f"Poll options can be at most {limits.max_option_chars} characters")
    if len(set(cleaned)) != len(cleaned):
        raise PollError("Poll options must be different from each other")
    if expires_in < limits.min_expiration:
        raise PollError(f"A poll must stay open at least {limits.min_expiration // 60} minutes")
    if expires_in > limits.max_expiration:
        raise PollError(f"A poll can stay open at most {limits.max_expiration // 86400} days")
    return cleaned


def validate_choices(choices: list[int], option_count: int, multiple: bool) -> list[int]:
    unique = sorted(set(choices))
    if not unique:
        raise PollError("Choose at least one option")
    if any(c < 0 or c >= option_count for c in unique):
        raise PollError("That option is not part of this poll")
    if not multiple and len(unique) > 1:
        raise PollError("This poll allows only one choice")
    return unique
