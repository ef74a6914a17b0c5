"""Pure domain logic: ids, text, visibility and poll rules.

No I/O; imports nothing of ours above it."""
