"""Pure domain logic: no aiogram, no I/O."""
