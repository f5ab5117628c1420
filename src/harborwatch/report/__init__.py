"""Reports: a self-contained HTML file, figures (SVG, PNG) and a PDF, from a store."""

from harborwatch.report.build import build_report
from harborwatch.report.findings import claims_html, estimates_html, findings_html, radar_html

__all__ = ["build_report", "claims_html", "estimates_html", "findings_html", "radar_html"]
