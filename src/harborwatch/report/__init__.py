"""Reports: a self-contained HTML file, figures (SVG, PNG) and a PDF, from a store."""

from harborwatch.report.build import build_report
from harborwatch.report.findings import findings_html, radar_html

__all__ = ["build_report", "findings_html", "radar_html"]
