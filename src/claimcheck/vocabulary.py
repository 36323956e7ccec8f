"""The label sets of the annotation guide (ANNOTATION.md) and the severity order of the rules.

Every module that names a label takes it from here, so a new label is added in one place.
"""

from __future__ import annotations

TYPES = ("efficacy", "safety", "mechanism")
"""Claim types, multi-label; a unit with none makes no claim."""

STRENGTHS = ("strong", "moderate", "hedged")
"""How strongly a unit is worded."""

EVIDENCE = ("cited", "described", "none")
"""What backs a unit."""

UNITS = ("sentence", "heading", "list_item", "boilerplate", "reference")
"""Unit kinds of the labelled corpus."""

CONTENT_UNITS = ("sentence", "heading", "list_item")
"""The unit kinds of main content, the ones the checker reports."""

VOICES = ("clinic", "product", "faq", "patient_blog", "news", "agency", "trial_summary")
"""Who a labelled page speaks for."""

SEVERITIES = ("high", "medium", "low")
"""Finding severities, most severe first."""

SEVERITY_RANK = {severity: len(SEVERITIES) - i for i, severity in enumerate(SEVERITIES)}
"""Severity -> rank, higher is more severe (high 3, medium 2, low 1)."""
