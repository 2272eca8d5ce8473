"""The race and ethnicity standard a feed declares, said in words on every figure built from it.

``race_standard`` in ``feeds.csv``:

* ``2024``: one combined question with the SPD 15 (2024) categories; nothing to say.
* ``1997``: a separate Hispanic-origin question, combined by StatDesk's declared mapping
  (:data:`metrics.groups.MAPPING_1997`): Hispanic or Latino of any race, the other groups
  non-Hispanic.
* ``1997-race-alone``: race as the agency reported it, with Hispanic ethnicity asked
  apart and *not* combined (the COVID Racial Data Tracker, many state dashboards).
  Hispanic or Latino people are counted in the race they reported; a Hispanic or Latino
  figure exists only where the agency reported it as a race category.  Groups may
  overlap and need not add up to the total, so the all-groups figure should be the file's
  own total (``total_from = file``).
* ``1997-ethnicity``: the separate Hispanic-ethnicity question on its own: Hispanic or
  Latino of any race, and unknown; people not Hispanic are mapped to ``other`` (in the
  all-groups figure, not a group of their own).
"""

from __future__ import annotations

from metrics.groups import mapping_1997_note

RACE_ALONE_NOTE = (
    "Race and ethnicity in this feed are as the agency reported them under the 1997 standard, "
    "race alone: Hispanic or Latino ethnicity was asked as a separate question and is not "
    "combined with race here. Hispanic or Latino people are counted in the race they reported, "
    "and a 'Hispanic or Latino' figure appears only where the agency reported it as a race "
    "category, so groups may overlap and need not add up to the total. 'Some other race' has no "
    "SPD 15 category and is not shown as a group; those people are in the all-groups figure "
    "when it is the agency's own total. Middle Eastern or North African people are counted "
    "within White."
)


ETHNICITY_NOTE = (
    "These figures are by Hispanic or Latino ethnicity, asked as a separate question from race "
    "(1997 standard): 'Hispanic or Latino' counts people of any race, 'Unknown / not reported' "
    "those whose ethnicity was not recorded. People who are not Hispanic or Latino have no group "
    "of their own here; they are counted in the all-groups figure."
)


def race_standard_note(standard: str) -> str | None:
    """The sentence to show beside figures from a feed of this standard (None for 2024)."""
    if standard == "1997":
        return ("Race and ethnicity in this feed were collected under the 1997 standard. "
                + mapping_1997_note())
    if standard == "1997-race-alone":
        return RACE_ALONE_NOTE
    if standard == "1997-ethnicity":
        return ETHNICITY_NOTE
    return None
