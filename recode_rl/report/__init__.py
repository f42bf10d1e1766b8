"""`recode report`: tables and plots from run directories (markdown + self-contained HTML)."""

from recode_rl.report.build import render
from recode_rl.report.collect import Found, collect

__all__ = ["collect", "render", "Found"]
