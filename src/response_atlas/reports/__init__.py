"""Printable reports (HTML with print CSS) for meetings."""
