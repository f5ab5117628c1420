"""Reports: a self-contained HTML file, figures (SVG, PNG) and a PDF, from a store."""

from harborwatch.report.build import build_report

__all__ = ["build_report"]
