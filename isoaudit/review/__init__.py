"""The management review (clause 9.3): the pack of review inputs assembled from a unit's records."""
from isoaudit.review.assemble import (
    SECTION_KEYS,
    ReviewChart,
    ReviewPack,
    ReviewSection,
    ReviewTable,
    assemble_review,
)

__all__ = ["SECTION_KEYS", "ReviewChart", "ReviewPack", "ReviewSection", "ReviewTable", "assemble_review"]
