"""The toolkit's five pathways: the one definition, used by the framework's characteristics and
by the stories tagged with them."""

from __future__ import annotations

import enum


class Pathway(enum.StrEnum):
    """The five pathways of the "Pathways to success" toolkit, by their slugs."""

    FIRST_PREGNANCY = "first-pregnancy"
    VBAC = "vbac"
    ELECTIVE_CS = "elective-cs"
    ORGANISATIONAL = "organisational"
    TOP_TEN = "top-ten"

    @property
    def label(self) -> str:
        return {
            Pathway.FIRST_PREGNANCY: "First pregnancy and labour",
            Pathway.VBAC: "Vaginal birth after caesarean (VBAC)",
            Pathway.ELECTIVE_CS: "Elective caesarean section",
            Pathway.ORGANISATIONAL: "Organisational characteristics",
            Pathway.TOP_TEN: "Top ten characteristics",
        }[self]
