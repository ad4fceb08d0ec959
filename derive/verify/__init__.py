"""Verification: every gradient against finite differences, ours and a student's own code.

    gradcheck   central differences, coordinate or directional, with dtype-aware tolerances
    differences the numeric loops (NumPy only: the runner shares them)
    cases       what `derive verify` checks for each problem: derived forms, kernels, trace steps
    derived     its derivations and each derived form as NumPy, made once
    stored      those derivations kept on disk for the next run
    plan        each loss's differences once, then the gradients one at a time
    trace       every step of each derivation at the run's points; the scalar problems
    report      the Check and Report records, and the table printed
    diagnose    the likely cause of a wrong gradient
    against     a student's word2vec.py, with the course's signatures
    sandbox     the parent side of the child process that runs the student's code
    runner      that child process
"""
from __future__ import annotations

from typing import Any

from .report import Check, Report, table

__all__ = ["Check", "Report", "table", "verify"]


def __getattr__(name: str) -> Any:
    # `verify` pulls in SymPy; the child process (runner) imports this package and must not.
    if name == "verify":
        from .cases import verify
        return verify
    raise AttributeError(name)
