"""Reports: a self-contained HTML file, figures (SVG, PNG) and a PDF, from a store."""

from harborwatch.report.build import build_report
from harborwatch.report.findings import estimates_html, findings_html, radar_html

__all__ = ["build_report", "estimates_html", "findings_html", "radar_html"]
