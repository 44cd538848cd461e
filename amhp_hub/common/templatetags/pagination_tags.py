from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def elided_pages(page_obj: Any) -> list[Any]:
    """The page numbers to show around PAGE_OBJ: first, last, current and one either side, with ellipses.

    Computed by the paginator, so a queue of a thousand pages costs the same as one of three.
    """
    return list(page_obj.paginator.get_elided_page_range(page_obj.number, on_each_side=1, on_ends=1))
