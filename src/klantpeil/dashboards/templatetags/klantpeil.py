"""Small template filters for figures people read."""

from django import template

from klantpeil.core import numbers

register = template.Library()


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key)


@register.filter
def percent(value: float | None, digits: int = 0) -> str:
    """0.368 → "37%" (and "36,8%" in Dutch with one digit)."""
    return numbers.percent(value, digits)
