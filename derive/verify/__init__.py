"""Verification: every gradient against finite differences, ours and a student's own code.

    gradcheck   central differences, coordinate or directional, with dtype-aware tolerances
    cases       what `derive verify` checks for each problem: derived forms, kernels, trace steps
    report      the Check and Report records, and the table printed
    diagnose    the likely cause of a wrong gradient
    against     a student's word2vec.py, with the course's signatures
"""
from __future__ import annotations

from .cases import verify
from .report import Check, Report, table

__all__ = ["Check", "Report", "table", "verify"]
