"""The registry domain: units, service windows, staff accounts and sign-in."""
