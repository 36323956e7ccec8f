"""Batch audits: the single-page check mapped over URL lists, sitemaps, crawls, folders and WARC files."""

from .politeness import Politeness
from .runner import AuditConfig, AuditInputs, AuditResult, Progress, audit
from .summary import SiteSummary, site_summary, write_summary

__all__ = ["AuditConfig", "AuditInputs", "AuditResult", "Politeness", "Progress", "SiteSummary", "audit", "site_summary", "write_summary"]
