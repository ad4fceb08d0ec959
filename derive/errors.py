"""The project's own failures, under one base: a derivation, fold, kernel or handout that could not
be made. The CLI reports a DeriveError with its message and exit status 1.

Bad input from a caller — an unknown problem name, a size of 0, an unreadable file — is not one of
these: it raises ValueError (or a subclass), which the CLI reports with exit status 2.
"""
from __future__ import annotations


class DeriveError(Exception):
    """Something derive itself could not do: what, where, and what was found instead."""


class DerivationError(DeriveError):
    """The engine produced a step or result that does not hold numerically: in chain `chain`
    (a Gradient.key, or "J"), at the step whose rule is `rule`."""

    def __init__(self, message: str, *, chain: str = "", rule: str = "") -> None:
        super().__init__(message)
        self.chain, self.rule = chain, rule


class FoldError(DeriveError):
    """An elementwise expression has no matrix form these rules know."""


class CodegenError(DeriveError):
    """A derived expression has a form the kernel printer does not know."""


class HandoutError(DeriveError):
    """A handout cannot be made: a question names a step its derivation lacks, or a template
    fails."""


class TexError(DeriveError):
    """TeX failed on a document; `excerpt` holds the lines of its log that say why."""

    def __init__(self, message: str, excerpt: str = "") -> None:
        super().__init__(message + (f"\n{excerpt}" if excerpt else ""))
        self.excerpt = excerpt


class BuildError(DeriveError):
    """The build stopped (a check or TeX failed); nothing was written. A request that cannot be
    met (no such folder, --pdf without TeX) is a ValueError instead, as all bad input is."""
