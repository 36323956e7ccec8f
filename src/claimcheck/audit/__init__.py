"""Batch audits: the single-page check mapped over URL lists, sitemaps, crawls, folders and WARC files."""

from .dashboard import render_missing_pages, write_dashboard
from .politeness import Politeness
from .runner import AuditConfig, AuditInputs, AuditResult, Progress, audit
from .store import page_report_name
from .summary import SiteSummary, site_summary, write_summary

__all__ = [
    "AuditConfig",
    "AuditInputs",
    "AuditResult",
    "Politeness",
    "Progress",
    "SiteSummary",
    "audit",
    "page_report_name",
    "render_missing_pages",
    "site_summary",
    "write_dashboard",
    "write_summary",
]
