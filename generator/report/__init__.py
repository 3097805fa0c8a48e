"""``gen-measures report``: the CSAT sentiment distribution report as one self-contained HTML page.

Every figure is a catalogue measure evaluated by the DAX engine (:mod:`generator.report.data`); the period
is read by :mod:`generator.report.period`, the charts drawn by :mod:`generator.report.charts` and the page
written by :mod:`generator.report.render` through :func:`generator.report.build.write_report`.
"""

from generator.report.build import ReportOptions, ReportSummary, write_report

__all__ = ["ReportOptions", "ReportSummary", "write_report"]
