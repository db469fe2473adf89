"""Personal data helpers: the mainland mobile number rule and masking for lists."""
import re

MOBILE = re.compile(r"^1[3-9][0-9]{9}$")  # [0-9], not \d: \d also matches full-width and other digits


def normalise_phone(raw):
    """Digits of a mainland mobile number, without spaces, dashes or a +86 prefix; None if invalid."""
    digits = re.sub(r"[ \-]", "", (raw or "").strip())
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
    return digits if MOBILE.match(digits) else None


def mask_phone(phone):
    """138****5678."""
    return f"{phone[:3]}****{phone[-4:]}" if phone and len(phone) >= 7 else ""


def mask_name(name):
    """张*, 欧阳**: the family name's first character stays."""
    return name[0] + "*" * max(1, len(name) - 1) if name else ""
