"""Role names, importable without Django (the CLI parses them before setting Django up)."""

ROLE_NAMES = ("operator", "analyst", "manager", "viewer", "shopper")
