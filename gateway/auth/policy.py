"""The password policy (docs/services/gateway.md "Passwords"): at least 8 characters, not the username or
the phone, and not common or easy to guess, as judged by zxcvbn (Dropbox's estimator, with its list of
30 000 common passwords and the account's own username and phone as known words)."""

from __future__ import annotations

from shared.errors import ValidationFailed

MIN_LENGTH = 8
MAX_LENGTH = 128
# zxcvbn's scores: 0 and 1 are guessed within about a million tries (common passwords, 12341234, ...).
MIN_SCORE = 2


def check_password(password: str, *, username: str | None, phone: str | None, field: str = "new_password") -> None:
    """422 naming ``field`` when the password breaks the policy; the message never repeats it."""
    if len(password) < MIN_LENGTH:
        raise ValidationFailed.on(field, f"at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise ValidationFailed.on(field, f"at most {MAX_LENGTH} characters")
    lowered = password.lower()
    for known in (username, phone):
        if known and len(known) >= 4 and known.lower() in lowered:
            raise ValidationFailed.on(field, "must not contain the username or the phone number")
    inputs = [value for value in (username, phone) if value]
    from zxcvbn import zxcvbn  # 13 MiB of word lists, loaded when a password is first set

    if zxcvbn(password[:MAX_LENGTH], user_inputs=inputs)["score"] < MIN_SCORE:
        raise ValidationFailed.on(field, "too common or too easy to guess; try a longer phrase")
